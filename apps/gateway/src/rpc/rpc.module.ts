import { Global, Module } from '@nestjs/common';
import { EscalationClient } from './escalation.client';
import { GatesClient } from './gates.client';
import { RpcClientService } from './rpc-client.service';
import { RunsClient } from './runs.client';
import { WebhooksClient } from './webhooks.client';

/** The request/reply client (over the process's NATS connection) and the typed clients of the backing services. */
@Global()
@Module({
  providers: [RpcClientService, RunsClient, GatesClient, EscalationClient, WebhooksClient],
  exports: [RpcClientService, RunsClient, GatesClient, EscalationClient, WebhooksClient],
})
export class RpcModule {}
