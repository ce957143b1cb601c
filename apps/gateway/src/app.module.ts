import { Module, type DynamicModule } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { PolicyFileModule, ServiceCoreModule } from '@gatehouse/messaging';
import { AuthModule } from './auth/auth.module';
import { GatewayEnv } from './config/gateway.env';
import { KeysModule } from './keys/keys.module';
import { EventsModule } from './events/events.module';
import { GatesModule } from './gates/gates.module';
import { HealthModule } from './health/health.module';
import { CorrelationInterceptor } from './http/correlation.interceptor';
import { InboxModule } from './inbox/inbox.module';
import { IntentsModule } from './intents/intents.module';
import { RpcModule } from './rpc/rpc.module';
import { RunsModule } from './runs/runs.module';
import { WebhooksModule } from './webhooks/webhooks.module';

/**
 * Built on demand (not in a decorator) so that importing this file has no side effect: the core's
 * ConfigModule validates process.env at the moment `forService` is called.
 */
@Module({})
export class AppModule {
  static register(): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceCoreModule.forService({ service: 'gateway', env: GatewayEnv, metricsServer: false }),
        PolicyFileModule,
        RpcModule,
        AuthModule,
        HealthModule,
        KeysModule,
        WebhooksModule,
        IntentsModule,
        RunsModule,
        GatesModule,
        InboxModule,
        EventsModule,
      ],
      providers: [{ provide: APP_INTERCEPTOR, useClass: CorrelationInterceptor }],
    };
  }
}
