import type { Client } from 'pg';
import { round } from './proc-stats';

/** Cumulative activity counters of one database (pg_stat_database + pg_stat_user_tables). */
export interface PgCounterSnapshot {
  at: number;
  database: Record<string, number>;
  tables: Record<string, TableCounters>;
  /** Per index: scans and index entries read (dead entries included: the cost of index bloat). */
  indexes: Record<string, { scans: number; entriesRead: number }>;
}

interface TableCounters {
  ins: number;
  upd: number;
  del: number;
  /** Rows read by sequential scans, and by index scans. */
  seqRead: number;
  idxRead: number;
  seqScans: number;
}

export interface PgCounterDelta {
  wallS: number;
  /** Per unit of work (an accepted reply): commits, rows written, WAL-relevant numbers. */
  perUnit: Record<string, number>;
  totals: Record<string, number>;
  /** Rows inserted/updated/deleted per table, per unit, busiest first. */
  tablesPerUnit: { table: string; ins: number; upd: number; del: number }[];
  /** Rows read per table per unit (sequential scans and index fetches), most first. */
  readsPerUnit: { table: string; seqScans: number; seqRead: number; idxRead: number }[];
  /** Index scans and index entries read per unit, most entries first. */
  indexesPerUnit: { index: string; scans: number; entriesRead: number; entriesPerScan: number }[];
}

const DB_COLUMNS = [
  'xact_commit',
  'xact_rollback',
  'tup_inserted',
  'tup_updated',
  'tup_deleted',
  'tup_returned',
  'tup_fetched',
  'blks_read',
  'blks_hit',
];

/**
 * Reads the counters. A backend publishes its counts at transaction end at most once a second, and
 * one that goes idle publishes what is pending within 10 s (PostgreSQL 15: PGSTAT_MIN_INTERVAL,
 * PGSTAT_IDLE_INTERVAL), so a snapshot taken right after activity may lag by up to STATS_SETTLE_MS.
 */
export const STATS_SETTLE_MS = 11_000;

export async function snapshotCounters(c: Client): Promise<PgCounterSnapshot> {
  await c.query('SELECT pg_stat_clear_snapshot()');
  const db = (
    await c.query(
      `SELECT ${DB_COLUMNS.map((k) => `${k}::float8 AS ${k}`).join(', ')} FROM pg_stat_database WHERE datname = current_database()`,
    )
  ).rows[0] as Record<string, number>;
  const rows = (
    await c.query<TableCounters & { t: string }>(
      `SELECT schemaname || '.' || relname AS t, n_tup_ins::float8 AS ins, n_tup_upd::float8 AS upd, n_tup_del::float8 AS del,
              seq_tup_read::float8 AS "seqRead", coalesce(idx_tup_fetch, 0)::float8 AS "idxRead", seq_scan::float8 AS "seqScans"
       FROM pg_stat_user_tables WHERE schemaname IN ('runs', 'gates', 'escalation')`,
    )
  ).rows;
  const idx = (
    await c.query<{ i: string; scans: number; read: number }>(
      `SELECT schemaname || '.' || indexrelname AS i, idx_scan::float8 AS scans, idx_tup_read::float8 AS read
       FROM pg_stat_user_indexes WHERE schemaname IN ('runs', 'gates', 'escalation')`,
    )
  ).rows;
  return {
    at: Date.now(),
    database: db,
    tables: Object.fromEntries(rows.map(({ t, ...rest }) => [t, rest])),
    indexes: Object.fromEntries(idx.map((r) => [r.i, { scans: r.scans, entriesRead: r.read }])),
  };
}

/** Activity between two snapshots per unit of work, or per second with `'seconds'`. */
export function counterDelta(a: PgCounterSnapshot, b: PgCounterSnapshot, units: number | 'seconds'): PgCounterDelta {
  if (units === 'seconds') units = (b.at - a.at) / 1000;
  const per = (v: number) => (units > 0 ? round(v / units, 2) : 0);
  const d = (t: string, k: keyof TableCounters) => b.tables[t][k] - (a.tables[t]?.[k] ?? 0);
  const totals: Record<string, number> = {};
  for (const k of DB_COLUMNS) totals[k] = (b.database[k] ?? 0) - (a.database[k] ?? 0);
  const tablesPerUnit = Object.keys(b.tables)
    .map((t) => ({
      table: t,
      ins: per(d(t, 'ins')),
      upd: per(d(t, 'upd')),
      del: per(d(t, 'del')),
    }))
    .filter((t) => t.ins + t.upd + t.del > 0)
    .sort((x, y) => y.ins + y.upd + y.del - (x.ins + x.upd + x.del));
  const readsPerUnit = Object.keys(b.tables)
    .map((t) => ({
      table: t,
      seqScans: per(d(t, 'seqScans')),
      seqRead: per(d(t, 'seqRead')),
      idxRead: per(d(t, 'idxRead')),
    }))
    .filter((t) => t.seqRead + t.idxRead > 0)
    .sort((x, y) => y.seqRead + y.idxRead - (x.seqRead + x.idxRead));
  const indexesPerUnit = Object.keys(b.indexes ?? {})
    .map((i) => {
      const scans = b.indexes[i].scans - (a.indexes?.[i]?.scans ?? 0);
      const entries = b.indexes[i].entriesRead - (a.indexes?.[i]?.entriesRead ?? 0);
      return {
        index: i,
        scans: per(scans),
        entriesRead: per(entries),
        entriesPerScan: scans > 0 ? round(entries / scans, 1) : 0,
      };
    })
    .filter((x) => x.entriesRead > 0)
    .sort((x, y) => y.entriesRead - x.entriesRead);
  return {
    wallS: round((b.at - a.at) / 1000, 2),
    readsPerUnit,
    indexesPerUnit,
    perUnit: Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, per(v)])),
    totals,
    tablesPerUnit,
  };
}
