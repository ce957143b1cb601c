import { Module, type DynamicModule } from '@nestjs/common';
import { Metrics } from './metrics';
import { MetricsServer } from './metrics-server';

/** The process's metrics registry, global, and its /metrics endpoint when `serve` is set. */
@Module({})
export class MetricsModule {
  static forService(service: string, serve: boolean): DynamicModule {
    return {
      module: MetricsModule,
      global: true,
      providers: [{ provide: Metrics, useFactory: () => new Metrics(service) }, ...(serve ? [MetricsServer] : [])],
      exports: [Metrics],
    };
  }
}
