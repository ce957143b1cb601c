import { Client } from 'pg';
import { runOracle } from '../oracle/run-oracle';
import { sleep } from './pool';

export const TERMINAL_STATUSES = ['SUCCESS', 'ERROR', 'CANCELLED', 'MAX_RECOVERY_ATTEMPTS_EXCEEDED'];

async function withClient<T>(databaseUrl: string, work: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: databaseUrl, application_name: 'gatehouse-load-checks' });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function runsByStatus(c: Client, wids: readonly string[]): Promise<Record<string, number>> {
  const rows = (
    await c.query<{ status: string; n: number }>(
      `SELECT status, count(*)::int AS n FROM runs.runs WHERE id = ANY($1::uuid[]) GROUP BY status ORDER BY status`,
      [wids],
    )
  ).rows;
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/**
 * Waits until every run is terminal, reading runs.runs (the truth) every half second rather
 * than loading the gateway with status polls. Returns how long it took, or undefined on timeout.
 */
export async function awaitTerminal(
  databaseUrl: string,
  wids: readonly string[],
  timeoutMs: number,
): Promise<number | undefined> {
  const started = Date.now();
  return withClient(databaseUrl, async (c) => {
    for (;;) {
      const byStatus = await runsByStatus(c, wids);
      const terminal = TERMINAL_STATUSES.reduce((a, s) => a + (byStatus[s] ?? 0), 0);
      if (terminal >= wids.length) return Date.now() - started;
      if (Date.now() - started > timeoutMs) return undefined;
      await sleep(500);
    }
  });
}

export interface SqlChecks {
  oracleOk: boolean;
  /** Only the oracle's non-empty violation sets (all empty when ok). */
  oracleViolations: Record<string, unknown[]>;
  deadLetters: number;
  unpublishedOutbox: Record<string, number>;
  ledgerRows: number;
  expectedLedgerRows: number;
  ledgerOk: boolean;
  runsByStatus: Record<string, number>;
  gatesByState: Record<string, number>;
}

/** The SQL proof after a run: the oracle, the ledger count against the distinct dedupe keys sent, runs and gates. */
export async function sqlChecks(
  databaseUrl: string,
  wids: readonly string[],
  expectedLedgerRows: number,
): Promise<SqlChecks> {
  const oracle = await runOracle(databaseUrl);
  return withClient(databaseUrl, async (c) => {
    const ledger = (
      await c.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM gates.human_interactions WHERE workflow_id = ANY($1::uuid[])`,
        [wids],
      )
    ).rows[0].n;
    const gates = (
      await c.query<{ state: string; n: number }>(
        `SELECT state, count(*)::int AS n FROM gates.gates WHERE workflow_id = ANY($1::uuid[]) GROUP BY state ORDER BY state`,
        [wids],
      )
    ).rows;
    const unpublished = (oracle.facts.unpublishedOutbox ?? []) as { schema: string; n: number }[];
    return {
      oracleOk: oracle.ok,
      oracleViolations: Object.fromEntries(Object.entries(oracle.violations).filter(([, rows]) => rows.length > 0)),
      deadLetters: (oracle.facts.deadLetters ?? []).length,
      unpublishedOutbox: Object.fromEntries(unpublished.map((r) => [r.schema, r.n])),
      ledgerRows: ledger,
      expectedLedgerRows,
      ledgerOk: ledger === expectedLedgerRows,
      runsByStatus: await runsByStatus(c, wids),
      gatesByState: Object.fromEntries(gates.map((r) => [r.state, r.n])),
    };
  });
}
