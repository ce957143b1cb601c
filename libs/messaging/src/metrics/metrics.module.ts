import { Module, type DynamicModule } from '@nestjs/common';
import { Metrics } from './metrics';

/** The process's metrics registry, global. Backends serve it on their admin port (AdminServer). */
@Module({})
export class MetricsModule {
  static forService(service: string): DynamicModule {
    return {
      module: MetricsModule,
      global: true,
      providers: [{ provide: Metrics, useFactory: () => new Metrics(service) }],
      exports: [Metrics],
    };
  }
}
