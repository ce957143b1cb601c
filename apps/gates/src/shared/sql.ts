import type { EntityManager } from 'typeorm';

/** Anything that runs SQL: a transaction's EntityManager or the DataSource itself. */
export interface SqlRunner {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/**
 * Runs a statement and returns its rows. TypeORM answers UPDATE/DELETE with `[rows, rowCount]`
 * instead of the rows, so that shape is unwrapped here (rows are objects, never arrays).
 */
export async function queryRows<T>(db: SqlRunner | EntityManager, sql: string, params: unknown[] = []): Promise<T[]> {
  const res = (await db.query(sql, params)) as unknown;
  if (Array.isArray(res) && res.length === 2 && Array.isArray(res[0]) && typeof res[1] === 'number') {
    return res[0] as T[];
  }
  return res as T[];
}

export function iso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}
