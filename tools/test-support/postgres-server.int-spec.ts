import { Client } from 'pg';
import { startPostgresServer, type PostgresServerHandle } from './postgres-server';
import { createTestDatabase, type TestDatabase } from './database';

/** The private Postgres of the chaos tests: its own port, crashable, and committed rows survive a crash. */
describe('startPostgresServer (private instance)', () => {
  let pg: PostgresServerHandle;
  let db: TestDatabase;

  beforeAll(async () => {
    pg = await startPostgresServer('pg-selftest', { maxConnections: 15 });
    db = await createTestDatabase('pg_selftest', pg.url);
  }, 60_000);

  afterAll(async () => {
    await db?.close();
    await pg?.destroy();
  });

  it('runs on its own port with the requested settings, migrated', async () => {
    expect(pg.url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
    expect(pg.port).not.toBe(5432);
    expect(await db.query(`SHOW max_connections`)).toEqual([{ max_connections: '15' }]);
    const schemas = await db.query<{ nspname: string }>(
      `SELECT nspname FROM pg_namespace WHERE nspname IN ('runs', 'gates', 'escalation') ORDER BY 1`,
    );
    expect(schemas.map((s) => s.nspname)).toEqual(['escalation', 'gates', 'runs']);
  });

  it.each(['SIGQUIT', 'SIGKILL'] as const)(
    'keeps committed rows across a crash (%s) and a restart',
    async (signal) => {
      await db.query(`CREATE TABLE IF NOT EXISTS public.crash_probe (n int)`);
      await db.query(`INSERT INTO public.crash_probe VALUES (1)`);
      const before = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM public.crash_probe`))[0].n;
      const oldPid = pg.pid;
      await pg.stop(signal);
      expect(pg.running).toBe(false);
      await expect(db.query('SELECT 1')).rejects.toThrow();
      await pg.restart();
      expect(pg.pid).not.toBe(oldPid);
      // Same handle, new connection.
      expect(await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM public.crash_probe`)).toEqual([
        { n: before },
      ]);
    },
    60_000,
  );

  it('refuses connections beyond max_connections with 53300 (what pool sizing must avoid)', async () => {
    const clients: Client[] = [];
    let refused: unknown;
    try {
      for (let i = 0; i < 20 && !refused; i++) {
        const c = new Client({ connectionString: pg.url });
        c.on('error', () => undefined);
        try {
          await c.connect();
          clients.push(c);
        } catch (err) {
          refused = err;
        }
      }
    } finally {
      await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    }
    expect((refused as { code?: string })?.code).toBe('53300');
    expect(clients.length).toBeLessThanOrEqual(15);
  });
});
