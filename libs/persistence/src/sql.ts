import type { QueryResult } from 'pg';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { runOnPool, runOnRunner } from './prepared';

/** A transaction's EntityManager, or `dataSource.manager` / the DataSource for a read outside one. */
export type Db = Pick<EntityManager, 'query'>;

export interface SqlOptions {
  /**
   * Run the statement named, i.e. parsed once per connection (the default). Pass false for text
   * built with unbounded variety (e.g. a VALUES list per row), which would only fill the cache.
   */
  prepare?: boolean;
}

/** Where a statement runs: the transaction's runner, a pooled connection of its own, or `db.query`. */
type Target = { runner: QueryRunner } | { ds: DataSource } | undefined;

function isPostgres(ds: DataSource | undefined): ds is DataSource {
  return ds?.driver?.options?.type === 'postgres';
}

/** TypeORM's own marker (what its InstanceChecker reads): survives subclassing and bundling. */
function isA(value: unknown, kind: 'EntityManager' | 'DataSource'): boolean {
  return (value as { '@instanceof'?: symbol })?.['@instanceof'] === Symbol.for(kind);
}

function targetOf(db: Db): Target {
  if (isA(db, 'EntityManager')) {
    const manager = db as EntityManager;
    if (!isPostgres(manager.dataSource)) return undefined;
    return manager.queryRunner ? { runner: manager.queryRunner } : { ds: manager.dataSource };
  }
  if (isA(db, 'DataSource') && isPostgres(db as DataSource)) return { ds: db as DataSource };
  return undefined;
}

/**
 * `db.query` for anything that is not a Postgres EntityManager or DataSource: unnamed, as before.
 * Its row count is exact for UPDATE and DELETE only; otherwise it is the number of rows returned.
 */
async function viaQuery(db: Db, sql: string, params: unknown[]): Promise<Pick<QueryResult, 'rows' | 'rowCount'>> {
  const result: unknown = await db.query(sql, params);
  // TypeORM answers UPDATE and DELETE with `[rows, rowCount]` and everything else with `rows`.
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return { rows: result[0], rowCount: result[1] };
  }
  const rows = (result ?? []) as unknown[];
  return { rows, rowCount: rows.length };
}

async function run(db: Db, sql: string, params: unknown[], options: SqlOptions) {
  const prepare = options.prepare ?? true;
  const target = targetOf(db);
  if (!target) return viaQuery(db, sql, params);
  return 'runner' in target
    ? runOnRunner(target.runner, sql, params, prepare)
    : runOnPool(target.ds, sql, params, prepare);
}

/** Runs a statement and returns its rows (empty for a statement without RETURNING). */
export async function queryRows<T>(
  db: Db,
  sql: string,
  params: unknown[] = [],
  options: SqlOptions = {},
): Promise<T[]> {
  return (await run(db, sql, params, options)).rows as T[];
}

export async function queryOne<T>(
  db: Db,
  sql: string,
  params: unknown[] = [],
  options: SqlOptions = {},
): Promise<T | null> {
  const rows = await queryRows<T>(db, sql, params, options);
  return rows[0] ?? null;
}

/** Runs a statement for its effect and returns the number of rows it inserted, updated or deleted. */
export async function execute(db: Db, sql: string, params: unknown[] = [], options: SqlOptions = {}): Promise<number> {
  return (await run(db, sql, params, options)).rowCount ?? 0;
}

/** A jsonb parameter: `null` and `undefined` stay SQL NULL. */
export function jsonb(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}
