import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { natsConnectionOptions, type NatsSettings } from '../jetstream/nats-connection';

/**
 * Request/reply server options: the NestJS NATS transport with a queue group per service, so
 * that replicas share the commands and each command is answered once.
 */
export function rpcServerOptions(service: string, settings: NatsSettings): MicroserviceOptions {
  return {
    transport: Transport.NATS,
    options: {
      ...natsConnectionOptions(settings, service, `gatehouse-${service}-rpc-${process.pid}`),
      queue: service,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      waitOnFirstConnect: true,
    },
  };
}
