import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { ConsumerHost } from '../nest/consumer-host.service';
import { DrainState } from './drain-state';

/**
 * The service takes work: its durable consumers are pulling, and it is not draining. Down from the
 * moment SIGTERM arrives, so a rollout never counts a stopping replica as ready.
 */
@Injectable()
export class ConsumersHealthIndicator {
  constructor(
    private readonly host: ConsumerHost,
    private readonly drain: DrainState,
    private readonly indicator: HealthIndicatorService,
  ) {}

  check<Key extends string>(key: Key) {
    const session = this.indicator.check(key);
    const since = this.drain.drainingSince;
    if (since) return session.down({ draining: true, since: since.toISOString() });
    if (!this.host.started) return session.down({ draining: false, started: false });
    return session.up({ draining: false, started: true, consumers: this.host.consumerNames });
  }
}
