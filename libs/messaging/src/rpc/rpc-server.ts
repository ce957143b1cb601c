import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { natsServers } from '../jetstream/nats-connection';

/**
 * Request/reply server options: the NestJS NATS transport with a queue group per service, so
 * that replicas share the commands and each command is answered once.
 */
export function rpcServerOptions(service: string, natsUrl: string): MicroserviceOptions {
  return {
    transport: Transport.NATS,
    options: {
      servers: natsServers(natsUrl),
      queue: service,
      name: `gatehouse-${service}-rpc-${process.pid}`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      waitOnFirstConnect: true,
    },
  };
}
