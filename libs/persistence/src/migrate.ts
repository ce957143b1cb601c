import type { QueryRunner } from 'typeorm';
import { createDataSource } from './data-source';
import { ensureDatabase } from './ensure-database';

/** Any constant works; it only has to be the same for every process that migrates. */
const MIGRATION_LOCK_KEY = 7_261_001;
const LOCK_RETRY_MS = 200;

/**
 * Takes the migration lock by trying every LOCK_RETRY_MS rather than by waiting in
 * `pg_advisory_lock`: a statement waiting there keeps its snapshot, and `CREATE INDEX CONCURRENTLY`
 * in the holder's migration waits for every older snapshot to go, so the two would wait on each
 * other forever (through the client, where Postgres cannot see the cycle).
 */
async function lockPolitely(runner: QueryRunner): Promise<void> {
  for (;;) {
    const [row] = await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [MIGRATION_LOCK_KEY]);
    if (row?.locked) return;
    await new Promise((r) => setTimeout(r, LOCK_RETRY_MS));
  }
}

/**
 * Creates the database if missing and runs pending migrations. Replicas that start together
 * serialise on a Postgres advisory lock, so each migration runs once.
 */
export async function migrate(databaseUrl: string): Promise<string[]> {
  await ensureDatabase(databaseUrl);
  const ds = createDataSource({ url: databaseUrl, poolMax: 2, applicationName: 'gatehouse-migrate' });
  await ds.initialize();
  const runner = ds.createQueryRunner();
  try {
    await runner.connect();
    await lockPolitely(runner);
    try {
      const done = await ds.runMigrations({ transaction: 'each' });
      return done.map((m) => m.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
    await ds.destroy();
  }
}
