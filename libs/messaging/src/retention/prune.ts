import { Client } from 'pg';
import { STREAMS } from '../jetstream/definitions';

/**
 * Retention of the messaging tables (what `gatehouse prune --older-than` runs): deletes old rows in
 * small batches, each its own short transaction, so a prune never holds locks the services wait on.
 *
 * What is never deleted: an unpublished outbox row (a fact not yet announced) and anything that is not
 * a messaging row (gates, ledger, events, runs: the contract's SQL truth). Dead letters stay until an
 * operator has looked at them.
 *
 * Inbox rows are each consumer's memory of what it already applied. A message JetStream could still
 * deliver again must find its row, so nothing younger than the longest stream retention is deleted:
 * MIN_RETENTION_S.
 */

/** The oldest a message in any stream can be (GATEHOUSE_HUMAN keeps replies 30 days). */
export const MIN_RETENTION_S = Math.max(...Object.values(STREAMS).map((s) => s.maxAgeS));

export const SERVICE_SCHEMAS = ['runs', 'gates', 'escalation'] as const;

/** One prunable table: rows older than the cutoff matching `where`, oldest first. */
interface RetentionTable {
  name: string;
  /** The schemas that have it (default: every service schema). */
  schemas?: readonly string[];
  table: (schema: string) => string;
  /** Column compared with the cutoff. */
  age: string;
  /** Rows that may never be deleted are excluded here. */
  where: string;
}

const TABLES: RetentionTable[] = [
  { name: 'inbox', table: (s) => `${s}.inbox`, age: 'processed_at', where: 'true' },
  // Only rows the relay published: an unpublished row is a fact still to announce.
  { name: 'outbox', table: (s) => `${s}.outbox`, age: 'published_at', where: 'published_at IS NOT NULL' },
  // Webhook deliveries that reached their endpoint, attempts first (they reference the delivery).
  // Pending deliveries and dead letters stay: one is still to send, the other waits for an operator.
  {
    name: 'webhook_attempts',
    schemas: ['escalation'],
    table: (s) => `${s}.webhook_attempts`,
    age: 'started_at',
    where: `delivery_id IN (SELECT id FROM escalation.webhook_deliveries WHERE status = 'DELIVERED' AND delivered_at < $1)`,
  },
  {
    name: 'webhook_deliveries',
    schemas: ['escalation'],
    table: (s) => `${s}.webhook_deliveries`,
    age: 'delivered_at',
    // Their attempts went in the step before (same cutoff: an attempt never starts after its delivery).
    where: `status = 'DELIVERED'`,
  },
];

export interface PruneOptions {
  /** Rows older than this many seconds go; at least MIN_RETENTION_S. */
  olderThanS: number;
  /** Rows per delete statement (default 5000). */
  batchSize?: number;
  /** Count what would go, delete nothing. */
  dryRun?: boolean;
}

/** Rows deleted (or, in a dry run, that would be), by schema and table. */
export type PruneReport = Record<string, Record<string, number>>;

export class PruneRefused extends Error {}

export async function pruneMessagingTables(databaseUrl: string, options: PruneOptions): Promise<PruneReport> {
  const { olderThanS, batchSize = 5000, dryRun = false } = options;
  if (!Number.isInteger(olderThanS) || olderThanS < MIN_RETENTION_S)
    throw new PruneRefused(
      `olderThanS must be an integer of at least ${MIN_RETENTION_S} (the longest stream retention): younger inbox rows still guard against redelivery`,
    );
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000)
    throw new PruneRefused('batchSize must be an integer from 1 to 100000');
  const client = new Client({ connectionString: databaseUrl, application_name: 'gatehouse-prune' });
  await client.connect();
  try {
    // One cutoff for the whole prune, from the database's clock.
    const cutoff = (await client.query<{ t: Date }>(`SELECT now() - make_interval(secs => $1) AS t`, [olderThanS]))
      .rows[0].t;
    const report: PruneReport = {};
    for (const schema of SERVICE_SCHEMAS) {
      report[schema] = {};
      for (const t of TABLES) {
        if (t.schemas && !t.schemas.includes(schema)) continue;
        const from = t.table(schema);
        const old = `${t.where} AND ${t.age} < $1`;
        report[schema][t.name] = dryRun
          ? Number((await client.query(`SELECT count(*) AS n FROM ${from} WHERE ${old}`, [cutoff])).rows[0].n)
          : await deleteInBatches(client, from, old, cutoff, batchSize);
      }
    }
    return report;
  } finally {
    await client.end();
  }
}

async function deleteInBatches(client: Client, from: string, where: string, cutoff: Date, batch: number) {
  let total = 0;
  for (;;) {
    const res = await client.query(
      `DELETE FROM ${from} WHERE ctid = ANY (ARRAY(SELECT ctid FROM ${from} WHERE ${where} LIMIT $2 FOR UPDATE SKIP LOCKED))`,
      [cutoff, batch],
    );
    total += res.rowCount ?? 0;
    if ((res.rowCount ?? 0) < batch) return total;
  }
}
