import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { NatsConnection } from '@nats-io/transport-node';
import { NATS_CONNECTION } from '../nest/tokens';

/** NATS answers: the connection is open and a round trip to the server (flush) comes back in time. */
@Injectable()
export class NatsHealthIndicator {
  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly indicator: HealthIndicatorService,
  ) {}

  pingCheck<Key extends string>(key: Key, timeoutMs: number) {
    return this.indicator
      .check(key)
      .attempt(async () => {
        if (this.nc.isClosed()) throw new Error('connection closed');
        await this.nc.flush();
        return { server: this.nc.getServer() };
      })
      .withTimeout(timeoutMs);
  }
}
