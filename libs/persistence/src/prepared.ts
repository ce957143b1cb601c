import { createHash } from 'node:crypto';
import type { QueryResult } from 'pg';
import { QueryFailedError, QueryRunnerProviderAlreadyReleasedError, type DataSource, type QueryRunner } from 'typeorm';

/**
 * Named (prepared) statements per connection: Postgres parses a statement once per connection and
 * reuses it, instead of parsing and planning every unnamed statement again. node-postgres keeps the
 * per-connection record of what it has parsed, so a new connection (after a reconnect or a pool
 * replacement) parses again on first use.
 */

/** At most this many distinct statements are named on one connection; beyond it they run unnamed. */
export const MAX_NAMED_PER_CONNECTION = 200;

/** The node-postgres client under a TypeORM Postgres query runner. */
interface PgClient {
  query(config: { text: string; values: unknown[]; name?: string }): Promise<QueryResult>;
}

/** The names each connection has given out. */
const perConnection = new WeakMap<PgClient, Set<string>>();

/**
 * Texts a schema change made unusable as named statements, for the whole process: every other
 * connection that prepared them would fail the same way, and a message redelivered to another
 * connection must not fail again.
 */
const stale = new Set<string>();
const MAX_STALE = 2000;

const names = new Map<string, string>();
const MAX_REMEMBERED_NAMES = 2000;

/** A deterministic name for a statement's text (80 bits of its SHA-1: no realistic collision). */
export function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `gh_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    if (names.size < MAX_REMEMBERED_NAMES) names.set(text, name);
  }
  return name;
}

/**
 * "cached plan must not change result type": a table under a named `SELECT *` or `RETURNING *` got
 * other columns since the connection prepared it. The statement fails; from then on the process runs
 * that text unnamed (below), so a retry succeeds.
 */
export function isStalePreparedStatementError(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === '0A000' && /cached plan must not change result type/i.test(e?.message ?? '');
}

/** The name to run `text` under on `client`, or undefined to run it unnamed. */
function nameFor(client: PgClient, text: string): string | undefined {
  if (stale.has(text) || stale.size >= MAX_STALE) return undefined;
  let named = perConnection.get(client);
  if (!named) perConnection.set(client, (named = new Set()));
  const name = statementName(text);
  if (named.has(name)) return name;
  if (named.size >= MAX_NAMED_PER_CONNECTION) return undefined;
  named.add(name);
  return name;
}

/**
 * Runs one statement on the runner's connection, named unless `prepare` is false. Errors come out
 * as TypeORM's `query()` throws them: a driver error wrapped in QueryFailedError (with the SQLSTATE
 * as `.code` and the original as `.driverError`); failures to get a connection unwrapped.
 */
export async function runOnRunner(
  runner: QueryRunner,
  text: string,
  values: unknown[],
  prepare: boolean,
): Promise<QueryResult> {
  if (runner.isReleased) throw new QueryRunnerProviderAlreadyReleasedError();
  const client = (await runner.connect()) as PgClient;
  const name = prepare ? nameFor(client, text) : undefined;
  try {
    return await client.query(name ? { name, text, values } : { text, values });
  } catch (err) {
    if (name && isStalePreparedStatementError(err)) stale.add(text);
    runner.dataSource.logger.logQueryError(err as Error, text, values, runner);
    throw new QueryFailedError(text, values, err as Error);
  }
}

/**
 * Runs one statement on a connection of its own from the pool, returned afterwards. Outside a
 * transaction a statement refused for a stale plan ran nothing, so it is retried once, unnamed.
 */
export async function runOnPool(
  ds: DataSource,
  text: string,
  values: unknown[],
  prepare: boolean,
): Promise<QueryResult> {
  const runner = ds.createQueryRunner();
  try {
    try {
      return await runOnRunner(runner, text, values, prepare);
    } catch (err) {
      if (!prepare || !isStalePreparedStatementError(err)) throw err;
      return await runOnRunner(runner, text, values, false);
    }
  } finally {
    await runner.release();
  }
}
