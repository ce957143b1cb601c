import { Client } from 'pg';
import { ORACLE_CHECKS, ORACLE_FACTS } from './oracle-checks';

export interface OracleReport {
  ok: boolean;
  checkedAt: string;
  violations: Record<string, unknown[]>;
  facts: Record<string, unknown[]>;
}

/** Runs every oracle check in one REPEATABLE READ snapshot, so the verdict is consistent. */
export async function runOracle(databaseUrl: string): Promise<OracleReport> {
  const client = new Client({ connectionString: databaseUrl, application_name: 'gatehouse-oracle' });
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const violations: Record<string, unknown[]> = {};
    for (const [name, sql] of Object.entries(ORACLE_CHECKS)) violations[name] = (await client.query(sql)).rows;
    const facts: Record<string, unknown[]> = {};
    for (const [name, sql] of Object.entries(ORACLE_FACTS)) facts[name] = (await client.query(sql)).rows;
    await client.query('COMMIT');
    const ok = Object.values(violations).every((rows) => rows.length === 0);
    return { ok, checkedAt: new Date().toISOString(), violations, facts };
  } finally {
    await client.end();
  }
}
