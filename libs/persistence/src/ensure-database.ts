import { Client } from 'pg';
import { maintenanceUrl } from './database-url';

/** Creates the database named in `databaseUrl` if it does not exist yet (safe to race). */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const { database, adminUrl } = maintenanceUrl(databaseUrl);
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount) return false;
    try {
      await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
      return true;
    } catch (err) {
      // 42P04 duplicate_database, 23505 when two creators race on pg_database's unique index.
      const code = (err as { code?: string }).code;
      if (code === '42P04' || code === '23505') return false;
      throw err;
    }
  } finally {
    await client.end();
  }
}
