import { createDataSource } from './data-source';
import { ensureDatabase } from './ensure-database';

/** Any constant works; it only has to be the same for every process that migrates. */
const MIGRATION_LOCK_KEY = 7_261_001;

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
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
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
