import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AdminServer } from './admin-server';
import { ConsumersHealthIndicator } from './consumers.health';
import { DrainState } from './drain-state';
import { NatsHealthIndicator } from './nats.health';
import { ServiceHealth } from './service-health.service';

/**
 * Health of a backend service (runs, gates, escalation): readiness for its admin port and its
 * request/reply health check, and the admin server itself when `serveAdmin` is set.
 */
@Module({})
export class ServiceHealthModule {
  static forService(serveAdmin: boolean): DynamicModule {
    return {
      module: ServiceHealthModule,
      global: true,
      imports: [TerminusModule.forRoot({ errorLogStyle: 'json', logger: false })],
      providers: [
        DrainState,
        NatsHealthIndicator,
        ConsumersHealthIndicator,
        ServiceHealth,
        ...(serveAdmin ? [AdminServer] : []),
      ],
      exports: [ServiceHealth, DrainState],
    };
  }
}
