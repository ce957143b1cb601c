import type { EntityManager } from 'typeorm';

/** A transaction's EntityManager, or `dataSource.manager` for a read outside one. */
export type Db = Pick<EntityManager, 'query'>;

/**
 * Runs a statement and returns its rows. TypeORM answers UPDATE and DELETE with
 * `[rows, rowCount]` and everything else with `rows`; this hides the difference.
 */
export async function queryRows<T>(db: Db, sql: string, params: unknown[] = []): Promise<T[]> {
  const result: unknown = await db.query(sql, params);
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as T[];
  }
  return result as T[];
}

export async function queryOne<T>(db: Db, sql: string, params: unknown[] = []): Promise<T | null> {
  const rows = await queryRows<T>(db, sql, params);
  return rows[0] ?? null;
}

/** A jsonb parameter: `null` and `undefined` stay SQL NULL. */
export function jsonb(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}
