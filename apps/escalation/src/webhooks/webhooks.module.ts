import { Logger, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ConsumerHost } from '@gatehouse/messaging';
import type { EscalationEnv } from '../config/escalation.env';
import { DispatchAfterCommitSubscriber } from './dispatch-after-commit.subscriber';
import { DEVELOPMENT_KEY, SecretBox } from './secret-box';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WebhookDispatcherService } from './webhook-dispatcher.service';
import { WebhookEndpointsRepository } from './webhook-endpoints.repository';
import { WebhookFactsHandler } from './webhook-facts.handler';
import { WebhookMetrics } from './webhook-metrics';
import { WebhooksRpcController } from './webhooks.rpc-controller';
import { WebhooksService } from './webhooks.service';

/** Outbound notifications (DESIGN section 13): signed webhooks, retries, dead letters, redelivery. */
@Module({
  controllers: [WebhooksRpcController],
  providers: [
    {
      provide: SecretBox,
      inject: [ConfigService],
      useFactory: (config: ConfigService<EscalationEnv, true>) => {
        const key = config.get('WEBHOOK_SECRET_KEY', { infer: true });
        if (!key) {
          new Logger('Security').warn({
            msg: 'WEBHOOK_SECRET_KEY is not set: webhook secrets are sealed with the built-in development key. Set it anywhere shared.',
          });
        }
        return new SecretBox(key || DEVELOPMENT_KEY);
      },
    },
    WebhookEndpointsRepository,
    WebhookDeliveriesRepository,
    WebhookMetrics,
    WebhookDispatcherService,
    DispatchAfterCommitSubscriber,
    WebhookFactsHandler,
    WebhooksService,
  ],
})
export class WebhooksModule {
  constructor(host: ConsumerHost, handler: WebhookFactsHandler) {
    host.register(handler);
  }
}
