import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { subjectFilters } from '@gatehouse/contracts';
import { NATS_CONNECTION } from '@gatehouse/messaging';
import { gateWaitKey, WaiterRegistry } from './waiter-registry';

/** `evt.gates.gate-decided.<wid>.<g>` (or `gate-cancelled`) -> the waiter key of that gate. */
export function waitKeyOfSubject(subject: string): string | undefined {
  const tokens = subject.split('.');
  if (tokens.length !== 5) return undefined;
  return gateWaitKey(tokens[3].toLowerCase(), tokens[4]);
}

/**
 * The process's core-NATS subscriptions for long-polls: a gate leaves PENDING when it is decided or
 * cancelled. JetStream-stored messages are ordinary publishes, so a core subscriber sees them too; no
 * consumer or ack is involved, and a missed message only means a long-poll answers at its timeout
 * with the then-current state.
 */
@Injectable()
export class GateDecidedListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('GateDecidedListener');
  private readonly subs: Subscription[] = [];

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly waiters: WaiterRegistry,
  ) {}

  onApplicationBootstrap(): void {
    for (const filter of [subjectFilters.gateDecided, subjectFilters.gateCancelled]) {
      this.subs.push(
        this.nc.subscribe(filter, {
          callback: (err, msg) => {
            if (err) {
              this.logger.warn(`${filter} subscription: ${String(err)}`);
              return;
            }
            const key = waitKeyOfSubject(msg.subject);
            if (key) this.waiters.notify(key);
          },
        }),
      );
    }
  }

  onApplicationShutdown(): void {
    for (const sub of this.subs) sub.unsubscribe();
  }
}
