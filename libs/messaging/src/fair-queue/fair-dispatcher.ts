import type { DataSource, EntityManager } from 'typeorm';
import { execute, inTransaction, queryOne, queryRows } from '@gatehouse/persistence';
import { assertSchemaName, writeOutbox } from '../outbox/outbox-message';
import { WakeLoop, type WakePassResult } from '../wake-loop/wake-loop';
import { pickState, pickWithinLimits } from './fair-pick';
import { dispatchLockName, type FairQueueName } from './fair-queues';

export interface DispatcherLogger {
  warn(obj: object, msg: string): void;
}

export interface FairDispatcherOptions {
  /** Items of this queue in flight at once (released, not yet settled), over all partitions and replicas. */
  window: number;
  /** A partition's own limit on items in flight; 0 for none (the window only). */
  limitOf: (partitionKey: string) => number;
  /**
   * Safety sweep: work left by a kick that was lost (a replica died between commit and kick), and
   * released rows whose message the consumer has already applied (see `reconcile`).
   */
  sweepIntervalMs?: number;
  /** The durable consumer whose inbox says which released messages were applied. */
  consumer: string;
  /** Called after a round released work into the outbox, to wake the relay. */
  onReleased: (count: number) => void;
}

/** Another replica holds the queue's dispatch lock: try again this soon. */
const LOCK_RETRY_MS = 25;
/** Wait after a failed round (a database error) before the next. */
const RETRY_AFTER_ERROR_MS = 1000;

/**
 * Releases a fair queue's waiting work to JetStream, a bounded window at a time, in tag order (start-
 * time fair queuing, see writeWork) and within each partition's own limit. One round is one
 * transaction under the queue's advisory lock, so replicas never release past the window together:
 * it counts the items in flight per partition (at most the window's worth), reads the free slots'
 * worth of waiting items in tag order, marks them released and writes them to the outbox with their
 * own message ids. A consumer settling a message deletes its row in the same transaction, which
 * frees the slot. Idle partitions cost nothing: they have no rows.
 * Woken by `kick()` after commits in this process, plus a slow sweep.
 */
export class FairDispatcher {
  private readonly schema: string;
  private readonly lockKey: string;
  private readonly loop: WakeLoop;

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
    this.lockKey = dispatchLockName(this.schema, queue);
    this.loop = new WakeLoop({
      pass: ({ polled }) => this.dispatch(polled),
      pollIntervalMs: options.sweepIntervalMs ?? 1000,
      errorBackoffMs: RETRY_AFTER_ERROR_MS,
      onError: (err) => this.logger.warn({ err, queue: this.queue }, 'fair dispatch round failed; will retry'),
    });
  }

  start(): void {
    this.loop.start();
  }

  /** Resolves once the round in flight has ended; none starts after. */
  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Asks for a round; coalesces calls made while one is running. */
  kick(): void {
    this.loop.poke();
  }

  /** One pass: the sweep's reconcile when it is due, then a round if anything waits. */
  private async dispatch(sweepDue: boolean): Promise<WakePassResult> {
    if (sweepDue) await this.reconcile();
    // Most wake-ups (every commit of a pipeline consumer) find nothing waiting: one read, no transaction.
    const released = (await this.hasWaiting()) ? await inTransaction(this.ds, (tx) => this.round(tx)) : 0;
    // Another replica's round may have read before our commit: look again shortly (not at every kick).
    if (released === 'locked') return { retryInMs: LOCK_RETRY_MS };
    if (released > 0) this.options.onReleased(released);
  }

  /**
   * Frees slots whose message was applied without its row being deleted: consumed by a replica of a
   * version before the fair queues (a rolling upgrade), or queued again after it was applied, so that
   * its publication was dropped as a duplicate. Its inbox row proves it settled. At most a window of
   * rows is checked, by primary key; once a second, from the sweep.
   */
  async reconcile(): Promise<number> {
    return execute(
      this.ds,
      `DELETE FROM ${this.schema}.work_queue w USING ${this.schema}.inbox i
        WHERE w.queue = $1 AND w.released_at IS NOT NULL AND i.consumer = $2 AND i.msg_id = w.msg_id`,
      [this.queue, this.options.consumer],
    );
  }

  private async hasWaiting(): Promise<boolean> {
    const row = await queryOne<{ waiting: boolean }>(
      this.ds,
      `SELECT EXISTS (SELECT 1 FROM ${this.schema}.work_queue WHERE queue = $1 AND released_at IS NULL) AS waiting`,
      [this.queue],
    );
    return row?.waiting === true;
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
    const inFlight = await queryRows<{ partition_key: string; n: number }>(
      tx,
      `SELECT partition_key, count(*)::int AS n FROM ${s}.work_queue
        WHERE queue = $1 AND released_at IS NOT NULL GROUP BY partition_key`,
      [this.queue],
    );
    const state = pickState(
      this.options.window,
      new Map(inFlight.map((r) => [r.partition_key, r.n])),
      this.options.limitOf,
    );
    const released: ReleasedRow[] = [];
    // Waiting work in tag order, leaving out partitions at their limit; a partition that reaches its
    // limit part-way through a read is left out of the next one, so each read releases or caps.
    while (state.free > 0) {
      const asked = state.free;
      const candidates = await queryRows<{ id: string; partition_key: string }>(
        tx,
        `SELECT id, partition_key FROM ${s}.work_queue
          WHERE queue = $1 AND released_at IS NULL AND partition_key <> ALL($2::text[])
          ORDER BY tag, id LIMIT $3`,
        [this.queue, [...state.capped], asked],
      );
      const ids = pickWithinLimits(
        candidates.map((r) => ({ id: r.id, partitionKey: r.partition_key })),
        state,
      );
      if (ids.length > 0) released.push(...(await this.release(tx, ids)));
      if (candidates.length < asked) break;
    }
    released.sort((a, b) => Number(a.id) - Number(b.id));
    await writeOutbox(
      tx,
      s,
      released.map((r) => ({ msgId: r.msg_id, subject: r.subject, payload: r.payload })),
    );
    return released.length;
  }

  private release(tx: EntityManager, ids: string[]): Promise<ReleasedRow[]> {
    return queryRows<ReleasedRow>(
      tx,
      `UPDATE ${this.schema}.work_queue SET released_at = now() WHERE id = ANY($1::bigint[])
       RETURNING id, msg_id, subject, payload`,
      [ids],
    );
  }
}

interface ReleasedRow {
  id: string;
  msg_id: string;
  subject: string;
  payload: unknown;
}
