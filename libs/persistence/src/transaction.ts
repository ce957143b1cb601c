import type { DataSource, EntityManager } from 'typeorm';
import { isStalePreparedStatementError } from './prepared';

/** Postgres SQLSTATEs worth retrying: serialization failure and deadlock. */
const RETRYABLE = new Set(['40001', '40P01']);

export function isRetryableDbError(err: unknown): boolean {
  return RETRYABLE.has((err as { code?: string })?.code ?? '');
}

/** Errors that mean the database is unreachable or saturated: answer 503, retry later. */
export function isUnavailableDbError(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (
    e?.code &&
    ['53300', '57P01', '57P03', '08000', '08003', '08006', 'ECONNREFUSED', 'ECONNRESET'].includes(e.code)
  ) {
    return true;
  }
  // The connection under a transaction died (Postgres crashed or restarted mid-request): TypeORM
  // reports the released query runner, pg a client that is "not queryable"; neither has a SQLSTATE.
  const name = (err as { name?: string })?.name ?? '';
  if (name === 'QueryRunnerProviderAlreadyReleasedError' || name === 'QueryRunnerAlreadyReleasedError') return true;
  return /timeout exceeded when trying to connect|Connection terminated|not queryable|server closed the connection unexpectedly/i.test(
    e?.message ?? '',
  );
}

/**
 * Runs `work` in one READ COMMITTED transaction, retrying a few times on deadlock, serialization
 * failure, or a named statement refused for a stale plan (the retry runs that text unnamed).
 */
export async function inTransaction<T>(ds: DataSource, work: (tx: EntityManager) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await ds.transaction(work);
    } catch (err) {
      if (attempt >= 3 || !(isRetryableDbError(err) || isStalePreparedStatementError(err))) throw err;
    }
  }
}
