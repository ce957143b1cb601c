import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  rpc,
  type RedeliverResult,
  type WebhookDeliveryList,
  type WebhookView,
  type WebhookWithSecret,
} from '@gatehouse/contracts';
import { WebhooksService } from './webhooks.service';

/** The gateway's admin routes over /api/webhooks, answered by the service that owns the endpoints. */
@Controller()
export class WebhooksRpcController {
  constructor(private readonly webhooks: WebhooksService) {}

  @MessagePattern(rpc.escalation.webhooks.create)
  create(@Payload() input: unknown): Promise<WebhookWithSecret> {
    return this.webhooks.create(input);
  }

  @MessagePattern(rpc.escalation.webhooks.list)
  list(): Promise<WebhookView[]> {
    return this.webhooks.list();
  }

  @MessagePattern(rpc.escalation.webhooks.update)
  update(@Payload() input: unknown): Promise<WebhookView> {
    return this.webhooks.update(input);
  }

  @MessagePattern(rpc.escalation.webhooks.remove)
  remove(@Payload() input: unknown): Promise<WebhookView> {
    return this.webhooks.remove(input);
  }

  @MessagePattern(rpc.escalation.webhooks.rotateSecret)
  rotateSecret(@Payload() input: unknown): Promise<WebhookWithSecret> {
    return this.webhooks.rotateSecret(input);
  }

  @MessagePattern(rpc.escalation.webhooks.deliveries)
  deliveries(@Payload() input: unknown): Promise<WebhookDeliveryList> {
    return this.webhooks.deliveriesOf(input);
  }

  @MessagePattern(rpc.escalation.webhooks.redeliver)
  redeliver(@Payload() input: unknown): Promise<RedeliverResult> {
    return this.webhooks.redeliver(input);
  }
}
