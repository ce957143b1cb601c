import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { isUnavailableDbError, maintenanceUrl, migrate } from '@gatehouse/persistence';

export const BASE_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  name: string;
  /**
   * Runs one query. The connection is opened on first use and opened again after the server
   * went away (a test that restarts Postgres keeps using the same handle).
   */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
  /** Closes the connection without dropping the database (its server is about to go anyway). */
  close(): Promise<void>;
}

/**
 * A fresh, migrated database for one test file: tests never share rows. `baseUrl` names the
 * server (default: TEST_DATABASE_URL or the local one), e.g. a private instance's url.
 */
export async function createTestDatabase(prefix: string, baseUrl: string = BASE_DATABASE_URL): Promise<TestDatabase> {
  const name = `gh_${prefix.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  const dbUrl = url.toString();
  await migrate(dbUrl);
  let client: Client | undefined;

  const connection = async (): Promise<Client> => {
    if (client) return client;
    const c = new Client({ connectionString: dbUrl, application_name: 'gatehouse-test' });
    // A server restart must not crash the test process with an unhandled 'error' event.
    c.on('error', () => {
      if (client === c) client = undefined;
    });
    c.on('end', () => {
      if (client === c) client = undefined;
    });
    await c.connect();
    client = c;
    return c;
  };

  const close = async () => {
    const c = client;
    client = undefined;
    await c?.end().catch(() => undefined);
  };

  return {
    url: dbUrl,
    name,
    async query<T>(sql: string, params: unknown[] = []) {
      for (let attempt = 1; ; attempt++) {
        try {
          const res = await (await connection()).query(sql, params);
          return res.rows as T[];
        } catch (err) {
          if (attempt >= 2 || !(isUnavailableDbError(err) || /not queryable|terminat/i.test(String(err)))) throw err;
          await close();
        }
      }
    },
    close,
    async drop() {
      await close();
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
