import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { CommonEnv } from '@gatehouse/contracts';
import { connectNats } from '../jetstream/nats-connection';
import { JETSTREAM, NATS_CONNECTION } from './tokens';

/** One NATS connection per process, shared by JetStream publishing, consuming and listeners. */
@Global()
@Module({
  providers: [
    {
      provide: NATS_CONNECTION,
      inject: [ConfigService],
      useFactory: (config: ConfigService<CommonEnv, true>) => {
        const service = process.env.GATEHOUSE_SERVICE ?? 'svc';
        return connectNats(
          {
            NATS_URL: config.get('NATS_URL', { infer: true }),
            NATS_USER: config.get('NATS_USER', { infer: true }),
            NATS_PASSWORD: config.get('NATS_PASSWORD', { infer: true }),
          },
          service,
          `gatehouse-${service}-${process.pid}`,
        );
      },
    },
    {
      provide: JETSTREAM,
      inject: [NATS_CONNECTION],
      useFactory: (nc: NatsConnection): JetStreamClient => jetstream(nc, { timeout: 5000 }),
    },
  ],
  exports: [NATS_CONNECTION, JETSTREAM],
})
export class NatsModule implements OnApplicationShutdown {
  private readonly logger = new Logger('NatsModule');

  constructor(@Inject(NATS_CONNECTION) private readonly nc: NatsConnection) {}

  async onApplicationShutdown(): Promise<void> {
    await this.nc.drain().catch((err) => this.logger.warn(`nats drain failed: ${String(err)}`));
  }
}
