import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DataSource, type EntityManager } from 'typeorm';
import { queryRows } from '@gatehouse/persistence';
import {
  CONSUMERS,
  FairDispatcher,
  Metrics,
  OutboxService,
  fairQueueOf,
  writeWork,
  type FairQueueName,
  type OutboxMessage,
} from '@gatehouse/messaging';
import type { RunsEnv } from '../config/runs.env';
import { parsePartitionLimits, partitionLimitOf } from '../config/partition-limits';

const SCHEMA = 'runs';
/** The consumers that settle each queue's work. */
const CONSUMER_OF = { intentQ: CONSUMERS.runsIntentQueue, sbxQ: CONSUMERS.runsSandboxQueue } as const;

/**
 * The runs service's fair queues, intentQ and sbxQ: work is written here instead of straight to the
 * outbox, and each queue's dispatcher releases it to JetStream fairly across partition keys, within
 * its window (INTENTQ_WINDOW, SBXQ_WINDOW) and each partition's limit (PARTITION_LIMIT(S)).
 */
@Injectable()
export class FairQueues implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('FairQueues');
  private readonly dispatchers: Record<FairQueueName, FairDispatcher>;

  constructor(
    private readonly outbox: OutboxService,
    ds: DataSource,
    config: ConfigService<RunsEnv, true>,
    metrics: Metrics,
  ) {
    const limitOf = partitionLimitOf(
      config.get('PARTITION_LIMIT', { infer: true }),
      parsePartitionLimits(config.get('PARTITION_LIMITS', { infer: true })),
    );
    const log = { warn: (obj: object, msg: string) => this.logger.warn({ ...obj, msg }) };
    const dispatcher = (queue: FairQueueName, window: number) =>
      new FairDispatcher(
        ds,
        SCHEMA,
        queue,
        { window, limitOf, consumer: CONSUMER_OF[queue].durable, onReleased: () => this.outbox.kick() },
        log,
      );
    this.dispatchers = {
      intentQ: dispatcher('intentQ', config.get('INTENTQ_WINDOW', { infer: true })),
      sbxQ: dispatcher('sbxQ', config.get('SBXQ_WINDOW', { infer: true })),
    };
    metrics.snapshotGauge({
      name: 'gatehouse_fair_queue_items',
      help:
        'Fair-queue work by queue: waiting for its share, and in_flight (released, not yet settled). The same ' +
        'for every runs replica: aggregate with max, not sum. in_flight stays at most the queue window.',
      labelNames: ['queue', 'state'],
      read: async () => {
        const rows = await queryRows<{ queue: string; waiting: number; in_flight: number }>(
          ds,
          `SELECT q.queue,
                  count(w.id) FILTER (WHERE w.released_at IS NULL)::int AS waiting,
                  count(w.id) FILTER (WHERE w.released_at IS NOT NULL)::int AS in_flight
             FROM unnest($1::text[]) AS q(queue) LEFT JOIN ${SCHEMA}.work_queue w ON w.queue = q.queue
            GROUP BY q.queue`,
          [Object.keys(this.dispatchers)],
        );
        return rows.flatMap((r) => [
          { labels: { queue: r.queue, state: 'waiting' }, value: r.waiting },
          { labels: { queue: r.queue, state: 'in_flight' }, value: r.in_flight },
        ]);
      },
    });
  }

  onApplicationBootstrap(): void {
    for (const d of Object.values(this.dispatchers)) d.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(Object.values(this.dispatchers).map((d) => d.stop()));
  }

  /**
   * Writes messages in the caller's transaction: those for a fair queue as waiting work, the rest
   * (events) to the outbox. Call `kick` for the queues after the transaction commits.
   */
  async write(tx: EntityManager, messages: OutboxMessage[]): Promise<void> {
    const work = messages.filter((m) => fairQueueOf(m.subject) !== null);
    const events = messages.filter((m) => fairQueueOf(m.subject) === null);
    if (events.length > 0) await this.outbox.write(tx, ...events);
    if (work.length > 0) await writeWork(tx, SCHEMA, work);
  }

  /** Wakes a queue's dispatcher: after a commit that queued work or settled some. */
  kick(...queues: FairQueueName[]): void {
    for (const q of queues) this.dispatchers[q].kick();
  }
}
