import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { maintenanceUrl, migrate } from '@gatehouse/persistence';

export const BASE_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  name: string;
  /** Runs one query on a short-lived connection. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

/** A fresh, migrated database for one test file: tests never share rows. */
export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const name = `gh_${prefix.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const url = new URL(BASE_DATABASE_URL);
  url.pathname = `/${name}`;
  const dbUrl = url.toString();
  await migrate(dbUrl);
  const client = new Client({ connectionString: dbUrl });
  await client.connect();
  return {
    url: dbUrl,
    name,
    async query<T>(sql: string, params: unknown[] = []) {
      const res = await client.query(sql, params);
      return res.rows as T[];
    },
    async drop() {
      await client.end();
      const admin = new Client({ connectionString: maintenanceUrl(dbUrl).adminUrl });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}
