import type { DataSource, EntityManager } from 'typeorm';
import { inTransaction, queryOne, queryRows } from '@gatehouse/persistence';
import { assertSchemaName, writeOutbox } from '../outbox/outbox-message';
import { fairShare } from './fair-share';
import type { FairQueueName } from './fair-queues';

export interface DispatcherLogger {
  warn(obj: object, msg: string): void;
}

export interface FairDispatcherOptions {
  /** Items of this queue in flight at once (released, not yet settled), over all partitions and replicas. */
  window: number;
  /** A partition's own limit on items in flight; 0 for none (the window only). */
  limitOf: (partitionKey: string) => number;
  /** Safety sweep: work left by a kick that was lost (a replica died between commit and kick). */
  sweepIntervalMs?: number;
  /** Called after a round released work into the outbox, to wake the relay. */
  onReleased: (count: number) => void;
}

/** Another replica holds the queue's dispatch lock: try again this soon. */
const LOCK_RETRY_MS = 25;

/**
 * Releases a fair queue's waiting work to JetStream, a bounded window at a time and fairly across
 * partition keys (fairShare). One round is one transaction under the queue's advisory lock, so
 * replicas never release past the window together: it reads the partitions with work waiting (a
 * loose index scan: one probe per partition, idle partitions cost nothing) and the items in flight,
 * marks the chosen items released and writes them to the outbox with their own message ids. A
 * consumer settling a message deletes its row in the same transaction, which frees the slot.
 * Woken by `kick()` after commits in this process, plus a slow sweep.
 */
export class FairDispatcher {
  private readonly schema: string;
  private readonly lockKey: string;
  private running = false;
  private again = false;
  private stopped = true;
  private timer?: NodeJS.Timeout;
  private retry?: NodeJS.Timeout;
  private idle: Promise<void> = Promise.resolve();

  constructor(
    private readonly ds: DataSource,
    schema: string,
    readonly queue: FairQueueName,
    private readonly options: FairDispatcherOptions,
    private readonly logger: DispatcherLogger,
  ) {
    this.schema = assertSchemaName(schema);
    if (!Number.isInteger(options.window) || options.window < 1)
      throw new Error(`invalid window ${options.window} for ${queue}`);
    this.lockKey = `${this.schema}.work_queue:${queue}`;
  }

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.kick(), this.options.sweepIntervalMs ?? 1000);
    this.timer.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.retry) clearTimeout(this.retry);
    await this.idle;
  }

  /** Asks for a round; coalesces calls made while one is running. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    this.idle = this.drain();
  }

  private async drain(): Promise<void> {
    try {
      do {
        this.again = false;
        let released: number | 'locked';
        try {
          released = await inTransaction(this.ds, (tx) => this.round(tx));
        } catch (err) {
          this.logger.warn({ err, queue: this.queue }, 'fair dispatch round failed; will retry');
          return;
        }
        if (released === 'locked') {
          // Another replica's round may have read before our commit: look again shortly.
          if (!this.retry && !this.stopped) {
            this.retry = setTimeout(() => {
              this.retry = undefined;
              this.kick();
            }, LOCK_RETRY_MS);
            this.retry.unref();
          }
          return;
        }
        if (released > 0) this.options.onReleased(released);
      } while (this.again && !this.stopped);
    } finally {
      this.running = false;
    }
  }

  /** One round: how many items it released, or 'locked' when another replica is dispatching this queue. */
  async round(tx: EntityManager): Promise<number | 'locked'> {
    const s = this.schema;
    const lock = await queryOne<{ ok: boolean }>(
      tx,
      `SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS ok`,
      [this.lockKey],
    );
    if (!lock?.ok) return 'locked';
    // Each partition with waiting work and the id of its oldest waiting item, by skipping from one
    // partition key to the next along work_queue_waiting_idx.
    const waiting = await queryRows<{ partition_key: string; id: string }>(
      tx,
      `WITH RECURSIVE p AS (
         (SELECT partition_key, id FROM ${s}.work_queue
           WHERE queue = $1 AND released_at IS NULL ORDER BY partition_key, id LIMIT 1)
         UNION ALL
         SELECT n.partition_key, n.id FROM p CROSS JOIN LATERAL (
           SELECT partition_key, id FROM ${s}.work_queue
            WHERE queue = $1 AND released_at IS NULL AND partition_key > p.partition_key
            ORDER BY partition_key, id LIMIT 1) n
       )
       SELECT partition_key, id FROM p`,
      [this.queue],
    );
    if (waiting.length === 0) return 0;
    const inFlight = await queryRows<{ partition_key: string; n: number }>(
      tx,
      `SELECT partition_key, count(*)::int AS n FROM ${s}.work_queue
        WHERE queue = $1 AND released_at IS NOT NULL GROUP BY partition_key`,
      [this.queue],
    );
    const inFlightOf = new Map(inFlight.map((r) => [r.partition_key, r.n]));
    let inFlightTotal = inFlight.reduce((sum, r) => sum + r.n, 0);
    let partitions = waiting.map((w) => ({
      key: w.partition_key,
      inFlight: inFlightOf.get(w.partition_key) ?? 0,
      head: Number(w.id),
    }));
    const released: ReleasedRow[] = [];
    // Shares assume every partition has enough waiting; the slots of one that came short are shared
    // again among the others, in this transaction, until the window or every limit is reached.
    for (;;) {
      const quotas = fairShare({
        window: this.options.window,
        inFlightTotal,
        partitions,
        limitOf: this.options.limitOf,
      });
      if (quotas.size === 0) break;
      const rows = await this.release(tx, quotas);
      released.push(...rows);
      inFlightTotal += rows.length;
      const got = new Map<string, number>();
      for (const r of rows) got.set(r.partition_key, (got.get(r.partition_key) ?? 0) + 1);
      const asked = [...quotas.values()].reduce((sum, n) => sum + n, 0);
      if (rows.length === asked) break;
      partitions = partitions
        .filter((p) => (got.get(p.key) ?? 0) >= (quotas.get(p.key) ?? 0))
        .map((p) => ({ ...p, inFlight: p.inFlight + (got.get(p.key) ?? 0) }));
    }
    released.sort((a, b) => Number(a.id) - Number(b.id));
    await writeOutbox(
      tx,
      s,
      released.map((r) => ({ msgId: r.msg_id, subject: r.subject, payload: r.payload })),
    );
    return released.length;
  }

  /** Marks each partition's oldest waiting items released, as many as its quota. */
  private release(tx: EntityManager, quotas: Map<string, number>): Promise<ReleasedRow[]> {
    return queryRows<ReleasedRow>(
      tx,
      `WITH picked AS (
         SELECT w.id FROM unnest($2::text[], $3::int[]) AS q(partition_key, n)
         CROSS JOIN LATERAL (
           SELECT id FROM ${this.schema}.work_queue
            WHERE queue = $1 AND partition_key = q.partition_key AND released_at IS NULL
            ORDER BY id LIMIT q.n) w
       )
       UPDATE ${this.schema}.work_queue w SET released_at = now() FROM picked WHERE w.id = picked.id
       RETURNING w.id, w.partition_key, w.msg_id, w.subject, w.payload`,
      [this.queue, [...quotas.keys()], [...quotas.values()]],
    );
  }
}

interface ReleasedRow {
  id: string;
  partition_key: string;
  msg_id: string;
  subject: string;
  payload: unknown;
}
