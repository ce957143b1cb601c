import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ClientsModule, Transport } from '@nestjs/microservices';
import { natsServers } from '@gatehouse/messaging';
import type { GatewayEnv } from '../config/gateway.env';
import { EscalationClient } from './escalation.client';
import { GatesClient } from './gates.client';
import { RpcClientService } from './rpc-client.service';
import { RPC_CLIENT } from './rpc.constants';
import { RunsClient } from './runs.client';

/** The NATS request/reply client and the typed clients of the backing services. */
@Global()
@Module({
  imports: [
    ClientsModule.registerAsync([
      {
        name: RPC_CLIENT,
        inject: [ConfigService],
        useFactory: (config: ConfigService<GatewayEnv, true>) => ({
          transport: Transport.NATS,
          options: {
            servers: natsServers(config.get('NATS_URL', { infer: true })),
            name: `gatehouse-gateway-rpc-${process.pid}`,
            maxReconnectAttempts: -1,
            reconnectTimeWait: 250,
            waitOnFirstConnect: true,
          },
        }),
      },
    ]),
  ],
  providers: [RpcClientService, RunsClient, GatesClient, EscalationClient],
  exports: [RpcClientService, RunsClient, GatesClient, EscalationClient],
})
export class RpcModule {}
