import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { subjectFilters } from '@gatehouse/contracts';
import { NATS_CONNECTION } from '@gatehouse/messaging';
import { gateWaitKey, WaiterRegistry } from './waiter-registry';

/** `evt.gates.gate-decided.<wid>.<g>` -> the waiter key of that gate. */
export function waitKeyOfSubject(subject: string): string | undefined {
  const tokens = subject.split('.');
  if (tokens.length !== 5) return undefined;
  return gateWaitKey(tokens[3].toLowerCase(), tokens[4]);
}

/**
 * The process's one core-NATS subscription for long-polls. JetStream-stored gate-decided messages are
 * ordinary publishes, so a core subscriber sees them too; no consumer or ack is involved, and a missed
 * message only means a long-poll answers at its timeout with the then-current state.
 */
@Injectable()
export class GateDecidedListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('GateDecidedListener');
  private sub?: Subscription;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly waiters: WaiterRegistry,
  ) {}

  onApplicationBootstrap(): void {
    this.sub = this.nc.subscribe(subjectFilters.gateDecided, {
      callback: (err, msg) => {
        if (err) {
          this.logger.warn(`gate-decided subscription: ${String(err)}`);
          return;
        }
        const key = waitKeyOfSubject(msg.subject);
        if (key) this.waiters.notify(key);
      },
    });
  }

  onApplicationShutdown(): void {
    this.sub?.unsubscribe();
  }
}
