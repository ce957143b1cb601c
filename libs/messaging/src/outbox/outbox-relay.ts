import { headers as natsHeaders } from '@nats-io/transport-node';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { DataSource } from 'typeorm';
import { WakeLoop, type WakePassResult } from '../wake-loop/wake-loop';
import { assertSchemaName } from './outbox-message';

export interface RelayLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface OutboxRelayOptions {
  batchSize?: number;
  /** Safety sweep for rows written by a replica that died before publishing them. */
  sweepIntervalMs?: number;
  /** Called with how many messages a batch published (and marked published), for metrics. */
  onPublished?: (count: number) => void;
}

/** Wait after a failed batch (a database error) before the next. */
const RETRY_AFTER_ERROR_MS = 1000;

/** Settings of the relay's claim transaction (see `claimBatch`). */
export const OUTBOX_CLAIM_SETTINGS = 'SET LOCAL enable_bitmapscan = off';

/** The relay's claim: the oldest unpublished rows, fewest attempts first, locked. */
export function outboxClaimQuery(schema: string, batchSize: number): string {
  return `SELECT id, msg_id, subject, payload, headers FROM ${assertSchemaName(schema)}.outbox
    WHERE published_at IS NULL ORDER BY attempts, id LIMIT ${Math.floor(batchSize)} FOR UPDATE SKIP LOCKED`;
}

/** The pg client under a TypeORM query runner; a multi-statement text answers one result each. */
interface PgClient {
  query(text: string, params?: unknown[]): Promise<Array<{ rows: OutboxRow[] }>>;
}

/** An outbox id (bigserial, as pg returns it) made safe to inline in SQL text. */
function inlineId(id: string): string {
  if (!/^[0-9]{1,19}$/.test(String(id))) throw new Error(`unexpected outbox id ${id}`);
  return String(id);
}

interface OutboxRow {
  id: string;
  msg_id: string;
  subject: string;
  payload: unknown;
  headers: Record<string, string>;
}

/**
 * Publishes a schema's outbox to JetStream with `Nats-Msg-Id` = the row's msg id. Woken by
 * `kick()` after each commit in this process, plus a slow sweep; replicas share the table
 * through `FOR UPDATE SKIP LOCKED`, so each row is published by one of them at a time.
 */
export class OutboxRelay {
  private readonly schema: string;
  private readonly batchSize: number;
  private readonly loop: WakeLoop;
  private readonly onPublished?: (count: number) => void;

  constructor(
    private readonly ds: DataSource,
    schema: string,
    private readonly js: JetStreamClient,
    private readonly logger: RelayLogger,
    options: OutboxRelayOptions = {},
  ) {
    this.schema = assertSchemaName(schema);
    this.batchSize = options.batchSize ?? 200;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1)
      throw new Error(`invalid outbox batch size ${options.batchSize}`);
    this.onPublished = options.onPublished;
    this.loop = new WakeLoop({
      pass: () => this.drainBatch(),
      pollIntervalMs: options.sweepIntervalMs ?? 2000,
      errorBackoffMs: RETRY_AFTER_ERROR_MS,
      onError: (err) => this.logger.warn({ err, schema: this.schema }, 'outbox relay batch failed; will retry'),
    });
  }

  start(): void {
    this.loop.start();
  }

  /** Resolves once the batch in flight has ended; none starts after. */
  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Asks for a drain; coalesces calls made while one is running. */
  kick(): void {
    this.loop.poke();
  }

  /** One batch; a full one means more may be waiting. */
  private async drainBatch(): Promise<WakePassResult> {
    const published = await this.publishBatch();
    if (published > 0) this.onPublished?.(published);
    return published >= this.batchSize ? 'again' : undefined;
  }

  /**
   * One transaction: claim a batch, publish it concurrently, mark what the server acknowledged. In two
   * round trips on the happy path, not four: BEGIN, the claim's settings and the claim go as one
   * simple-protocol text, and so do the marks and COMMIT (the ids are inlined: bigints the claim
   * returned, checked to be digits). A failure anywhere rolls the claim back; the rows stay queued.
   *
   * The claim reads the unpublished rows in order, locked, as an ordered scan of
   * outbox_unpublished_queue_idx that stops after the batch. Without statistics (autovacuum off) the
   * planner prefers a bitmap scan and a sort, which reads the dead entry of every row ever published
   * and never marks them dead, so bitmap scans are off for this transaction (the batch size is inlined:
   * an integer checked in the constructor).
   */
  private async publishBatch(): Promise<number> {
    const runner = this.ds.createQueryRunner();
    const client = (await runner.connect()) as PgClient;
    let open = true;
    try {
      // Fewest attempts first: rows that keep failing (say, a subject no stream covers) cannot
      // starve fresh ones, and a failed batch ends the drain, so there is no hot retry loop.
      const claimed = await client.query(
        `BEGIN; ${OUTBOX_CLAIM_SETTINGS}; ${outboxClaimQuery(this.schema, this.batchSize)}`,
      );
      const rows = claimed[2].rows;
      const results = await Promise.allSettled(rows.map((r) => this.publish(r)));
      const done: string[] = [];
      const failed: string[] = [];
      let firstError: unknown;
      results.forEach((res, i) => {
        if (res.status === 'fulfilled') done.push(inlineId(rows[i].id));
        else {
          failed.push(rows[i].id);
          firstError ??= res.reason;
        }
      });
      if (failed.length) {
        await client.query(
          `UPDATE ${this.schema}.outbox SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1)`,
          [failed, String((firstError as Error)?.message ?? firstError).slice(0, 500)],
        );
        this.logger.warn(
          { schema: this.schema, failed: failed.length, err: firstError },
          'outbox publish failed; rows stay queued',
        );
      }
      const mark = done.length
        ? `UPDATE ${this.schema}.outbox SET published_at = now(), attempts = attempts + 1 WHERE id IN (${done.join(', ')}); `
        : '';
      await client.query(`${mark}COMMIT`);
      open = false;
      return done.length;
    } finally {
      if (open) await client.query('ROLLBACK').catch(() => undefined);
      await runner.release();
    }
  }

  private async publish(row: OutboxRow): Promise<void> {
    const h = natsHeaders();
    for (const [k, v] of Object.entries(row.headers ?? {})) h.set(k, String(v));
    await this.js.publish(row.subject, JSON.stringify(row.payload), { msgID: row.msg_id, headers: h, timeout: 5000 });
  }
}
