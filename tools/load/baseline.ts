import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Pool } from 'pg';
import { LatencyRecorder, type LatencySummary } from './latency';
import { runPool } from './pool';
import { round } from './proc-stats';

export interface BaselineOptions {
  databaseUrl: string;
  natsUrl: string;
  units: number;
  /** Units in flight at once. */
  concurrency: number;
  /** Postgres connections (at most `concurrency`). */
  poolMax: number;
  /** Called right before the first timed unit and right after the last (e.g. a CPU window). */
  hooks?: { beforeUnits?: () => Promise<void>; afterUnits?: () => Promise<void> };
}

export interface BaselineReport {
  units: number;
  concurrency: number;
  poolMax: number;
  wallS: number;
  unitsPerS: number;
  /** The whole unit: transaction + acknowledged publish. */
  latencyMs: LatencySummary;
  sqlLatencyMs: LatencySummary;
  publishLatencyMs: LatencySummary;
  what: string;
}

const NS = 1_000_000_000;

/**
 * The raw unit of work behind one accepted reply, without the services: one Postgres transaction
 * that inserts a ledger-like row and closes a gate-like row, then one JetStream publish with a
 * `Nats-Msg-Id`, awaited for the server's ack. Runs in a scratch schema of the same database and a
 * scratch file stream on the same server, both removed afterwards.
 */
export async function runBaseline(options: BaselineOptions): Promise<BaselineReport> {
  const tag = randomBytes(4).toString('hex');
  const schema = `load_scratch_${tag}`;
  const stream = `LOAD_SCRATCH_${tag.toUpperCase()}`;
  const pool = new Pool({
    connectionString: options.databaseUrl,
    max: Math.min(options.poolMax, options.concurrency),
    application_name: 'gatehouse-load-baseline',
  });
  const nc = await connect({ servers: options.natsUrl, name: 'gatehouse-load-baseline' });
  const jsm = await jetstreamManager(nc);
  try {
    await pool.query(`CREATE SCHEMA ${schema}`);
    await pool.query(`
      CREATE TABLE ${schema}.gates (
        workflow_id uuid NOT NULL, gate_key text NOT NULL, state text NOT NULL,
        closed_at timestamptz, PRIMARY KEY (workflow_id, gate_key))`);
    await pool.query(`
      CREATE TABLE ${schema}.ledger (
        id bigserial PRIMARY KEY, workflow_id uuid NOT NULL, gate_key text NOT NULL, topic text NOT NULL,
        dedupe_key text NOT NULL, payload jsonb NOT NULL, payload_hash text NOT NULL, origin text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(), UNIQUE (workflow_id, gate_key, topic, dedupe_key))`);
    const wids = Array.from({ length: options.units }, () => randomUUID());
    await pool.query(
      `INSERT INTO ${schema}.gates (workflow_id, gate_key, state) SELECT unnest($1::uuid[]), 'approve-plan', 'PENDING'`,
      [wids],
    );
    await jsm.streams.add({
      name: stream,
      subjects: [`loadscratch.${tag}.>`],
      storage: StorageType.File,
      num_replicas: 1,
      duplicate_window: 120 * NS,
    });
    const js = jetstream(nc);
    // Open every pool connection before the clock starts, as the services' pools are warm.
    const warm = await Promise.all(
      Array.from({ length: Math.min(options.poolMax, options.concurrency) }, () => pool.connect()),
    );
    for (const c of warm) c.release();

    const all = new LatencyRecorder();
    const sql = new LatencyRecorder();
    const pub = new LatencyRecorder();
    await options.hooks?.beforeUnits?.();
    const started = process.hrtime.bigint();
    await runPool(wids, options.concurrency, async (wid) => {
      const t0 = process.hrtime.bigint();
      const payload = { choice: 'yes', rationale: 'baseline' };
      const text = JSON.stringify(payload);
      const hash = createHash('sha256').update(text).digest('hex');
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(
          `INSERT INTO ${schema}.ledger (workflow_id, gate_key, topic, dedupe_key, payload, payload_hash, origin)
           VALUES ($1, 'approve-plan', 'human:approve-plan', $2, $3::jsonb, $4, 'rest')`,
          [wid, `load-${wid}`, text, hash],
        );
        const upd = await client.query(
          `UPDATE ${schema}.gates SET state = 'RECEIVED', closed_at = now()
           WHERE workflow_id = $1 AND gate_key = 'approve-plan' AND state = 'PENDING'`,
          [wid],
        );
        if (upd.rowCount !== 1) throw new Error(`baseline gate ${wid} was not pending`);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
      const t1 = process.hrtime.bigint();
      const ack = await js.publish(
        `loadscratch.${tag}.decided.${wid}`,
        JSON.stringify({ workflowId: wid, ...payload }),
        {
          msgID: `baseline:${wid}`,
          timeout: 5000,
        },
      );
      if (ack.duplicate) throw new Error(`baseline publish ${wid} was a duplicate`);
      const t2 = process.hrtime.bigint();
      sql.add(Number(t1 - t0) / 1e6);
      pub.add(Number(t2 - t1) / 1e6);
      all.add(Number(t2 - t0) / 1e6);
    });
    const wallS = Number(process.hrtime.bigint() - started) / 1e9;
    await options.hooks?.afterUnits?.();
    return {
      units: options.units,
      concurrency: options.concurrency,
      poolMax: Math.min(options.poolMax, options.concurrency),
      wallS: round(wallS, 3),
      unitsPerS: round(options.units / wallS),
      latencyMs: all.summary(),
      sqlLatencyMs: sql.summary(),
      publishLatencyMs: pub.summary(),
      what: 'BEGIN; INSERT ledger-like row; UPDATE gate-like row WHERE PENDING; COMMIT; then JetStream publish (Nats-Msg-Id, file stream) awaited for its ack',
    };
  } finally {
    await jsm.streams.delete(stream).catch(() => undefined);
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await pool.end();
    await nc.close();
  }
}
