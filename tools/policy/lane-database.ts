import { CommonEnv } from '@gatehouse/contracts';
import { Client } from 'pg';

/** The database a policy lane reads when not told otherwise: the services' own (DATABASE_URL, same default). */
export function defaultDatabaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.DATABASE_URL ?? new CommonEnv().DATABASE_URL;
}

/** The URL without its password, for reports and logs. */
export function redactedUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  if (url.password) url.password = '***';
  return url.toString();
}

/** One read-only snapshot (REPEATABLE READ) on a fresh connection, so a lane's verdict is consistent. */
export async function inSnapshot<T>(databaseUrl: string, name: string, work: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: databaseUrl, application_name: name });
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } finally {
    await client.end();
  }
}
