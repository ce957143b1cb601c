import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { subjectFilters } from '@gatehouse/contracts';
import { NATS_CONNECTION } from '@gatehouse/messaging';

/** What a feed subscriber hears: which gate changed and how. A hint to read again, never the truth. */
export interface GateFeedEvent {
  type: 'opened' | 'decided' | 'cancelled';
  workflowId: string;
  gateKey: string;
}

const TYPES: Record<string, GateFeedEvent['type']> = {
  'gate-opened': 'opened',
  'gate-decided': 'decided',
  'gate-cancelled': 'cancelled',
};

/** `evt.gates.gate-<type>.<wid>.<g>` -> the feed event, or undefined for any other subject. */
export function feedEventOfSubject(subject: string): GateFeedEvent | undefined {
  const tokens = subject.split('.');
  const type = TYPES[tokens[2]];
  if (tokens.length !== 5 || !type) return undefined;
  return { type, workflowId: tokens[3].toLowerCase(), gateKey: tokens[4] };
}

/** Listeners this process serves at most; one more is refused (the console then polls by reconnecting). */
export const MAX_FEED_LISTENERS = 1000;

/**
 * One core-NATS subscription per gate fact for the whole process, fanned out to every open console
 * feed (GET /api/stream/gates). Core subscriptions see JetStream-stored publishes without a consumer;
 * a missed message only delays a console's re-read until its next event or reconnect.
 */
@Injectable()
export class GateFeedService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('GateFeed');
  private readonly subs: Subscription[] = [];
  private readonly listeners = new Set<(e: GateFeedEvent) => void>();

  constructor(@Inject(NATS_CONNECTION) private readonly nc: NatsConnection) {}

  onApplicationBootstrap(): void {
    for (const filter of [subjectFilters.gateOpened, subjectFilters.gateDecided, subjectFilters.gateCancelled]) {
      this.subs.push(
        this.nc.subscribe(filter, {
          callback: (err, msg) => {
            if (err) return this.logger.warn(`${filter} subscription: ${String(err)}`);
            const event = feedEventOfSubject(msg.subject);
            if (event) for (const listener of this.listeners) listener(event);
          },
        }),
      );
    }
  }

  onApplicationShutdown(): void {
    for (const sub of this.subs) sub.unsubscribe();
  }

  /** Returns the unsubscribe function, or undefined when the process already serves its maximum. */
  listen(listener: (e: GateFeedEvent) => void): (() => void) | undefined {
    if (this.listeners.size >= MAX_FEED_LISTENERS) return undefined;
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
