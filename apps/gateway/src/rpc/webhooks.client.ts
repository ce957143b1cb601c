import { Injectable } from '@nestjs/common';
import {
  rpc,
  type CreateWebhookCommand,
  type ListDeliveriesRequest,
  type RedeliverRequest,
  type RedeliverResult,
  type UpdateWebhookCommand,
  type WebhookDeliveryList,
  type WebhookIdRequest,
  type WebhookView,
  type WebhookWithSecret,
} from '@gatehouse/contracts';
import { RpcClientService } from './rpc-client.service';

/** Typed request/reply calls to the escalation service, owner of the webhook endpoints. */
@Injectable()
export class WebhooksClient {
  constructor(private readonly rpc: RpcClientService) {}

  create(command: CreateWebhookCommand): Promise<WebhookWithSecret> {
    return this.rpc.send(rpc.escalation.webhooks.create, command);
  }

  list(): Promise<WebhookView[]> {
    return this.rpc.send(rpc.escalation.webhooks.list, {});
  }

  update(command: UpdateWebhookCommand): Promise<WebhookView> {
    return this.rpc.send(rpc.escalation.webhooks.update, command);
  }

  remove(request: WebhookIdRequest): Promise<WebhookView> {
    return this.rpc.send(rpc.escalation.webhooks.remove, request);
  }

  rotateSecret(request: WebhookIdRequest): Promise<WebhookWithSecret> {
    return this.rpc.send(rpc.escalation.webhooks.rotateSecret, request);
  }

  deliveries(request: ListDeliveriesRequest): Promise<WebhookDeliveryList> {
    return this.rpc.send(rpc.escalation.webhooks.deliveries, request);
  }

  redeliver(request: RedeliverRequest): Promise<RedeliverResult> {
    return this.rpc.send(rpc.escalation.webhooks.redeliver, request);
  }
}
