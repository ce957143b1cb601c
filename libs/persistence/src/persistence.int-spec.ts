import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../../migrations';
import { BASE_DATABASE_URL, createTestDatabase, type TestDatabase } from '../../../tools/test-support/database';
import { freePort } from '../../../tools/test-support/free-port';
import { createDataSource } from './data-source';
import { maintenanceUrl } from './database-url';
import { ensureDatabase } from './ensure-database';
import { migrate } from './migrate';
import { inTransaction, isUnavailableDbError } from './transaction';

function scratchUrl(): { url: string; name: string } {
  const name = `gh_persist_${randomBytes(4).toString('hex')}`;
  const u = new URL(BASE_DATABASE_URL);
  u.pathname = `/${name}`;
  return { url: u.toString(), name };
}

async function dropDatabase(url: string, name: string): Promise<void> {
  const admin = new Client({ connectionString: maintenanceUrl(url).adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

describe('ensureDatabase and migrate (real Postgres)', () => {
  const created: Array<{ url: string; name: string }> = [];
  afterAll(async () => {
    for (const d of created) await dropDatabase(d.url, d.name);
  });

  it('creates a missing database once, even when several processes race', async () => {
    const db = scratchUrl();
    created.push(db);
    const results = await Promise.all([1, 2, 3, 4].map(() => ensureDatabase(db.url)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await ensureDatabase(db.url)).toBe(false);
  });

  it('runs every migration once when replicas migrate at the same time, and nothing the second time', async () => {
    const db = scratchUrl();
    created.push(db);
    const runs = await Promise.all([1, 2, 3].map(() => migrate(db.url)));
    const names = MIGRATIONS.map((m) => new m().name).sort();
    // Exactly one replica ran them all; the others found nothing to do.
    expect(runs.map((r) => r.length).sort()).toEqual([0, 0, names.length]);
    expect([...runs.flat()].sort()).toEqual(names);
    expect(await migrate(db.url)).toEqual([]);
  });
});

describe('the migrated schema (DESIGN section 7 and 6)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('persist_schema');
  });
  afterAll(async () => {
    await db?.drop();
  });

  const contract: Record<string, string[]> = {
    'runs.intents': ['id', 'goal', 'inputs', 'constraints', 'created_at'],
    'runs.runs': [
      'id',
      'status',
      'last_step',
      'next_action',
      'retry_count',
      'error',
      'queue_name',
      'queue_partition_key',
      'recipe_name',
      'created_at',
      'updated_at',
    ],
    'runs.run_steps': ['run_id', 'step_id', 'attempt', 'status'],
    'runs.artifacts': ['run_id', 'step_id', 'task_key', 'attempt', 'idx'],
    'gates.gates': ['workflow_id', 'gate_key', 'state', 'deadline_at'],
    'gates.human_interactions': [
      'workflow_id',
      'gate_key',
      'topic',
      'dedupe_key',
      'payload',
      'payload_hash',
      'origin',
      'created_at',
    ],
    'gates.workflow_events': ['workflow_id', 'key', 'value', 'created_at'],
    'escalation.escalations': ['id', 'workflow_id', 'gate_key', 'status', 'action', 'created_at'],
  };
  for (const s of ['runs', 'gates', 'escalation']) {
    contract[`${s}.outbox`] = [
      'id',
      'msg_id',
      'subject',
      'payload',
      'headers',
      'created_at',
      'published_at',
      'attempts',
      'last_error',
    ];
    contract[`${s}.inbox`] = ['consumer', 'msg_id', 'subject', 'processed_at'];
    contract[`${s}.dead_letters`] = [
      'consumer',
      'msg_id',
      'subject',
      'stream_seq',
      'deliveries',
      'payload',
      'headers',
      'error',
      'created_at',
    ];
  }

  it.each(Object.entries(contract))('%s has the contract columns', async (table, columns) => {
    const [schema, name] = table.split('.');
    const rows = await db.query<{ column_name: string }>(
      'SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2',
      [schema, name],
    );
    expect(rows.map((r) => r.column_name)).toEqual(expect.arrayContaining(columns));
  });

  it.each(['runs', 'gates', 'escalation'])('%s.inbox and %s.outbox refuse duplicates by key', async (s) => {
    await db.query(`INSERT INTO ${s}.inbox (consumer, msg_id, subject) VALUES ('c', 'm', 's')`);
    await expect(
      db.query(`INSERT INTO ${s}.inbox (consumer, msg_id, subject) VALUES ('c', 'm', 's')`),
    ).rejects.toMatchObject({ code: '23505' });
    await db.query(`INSERT INTO ${s}.outbox (msg_id, subject, payload) VALUES ('m', 's', '{}')`);
    await expect(
      db.query(`INSERT INTO ${s}.outbox (msg_id, subject, payload) VALUES ('m', 's', '{}')`),
    ).rejects.toMatchObject({ code: '23505' });
  });
});

describe('inTransaction and the pool (real Postgres)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  beforeAll(async () => {
    db = await createTestDatabase('persist_tx');
    ds = createDataSource({ url: db.url, poolMax: 4 });
    await ds.initialize();
    await db.query('CREATE TABLE public.accounts (id int PRIMARY KEY, n int NOT NULL)');
    await db.query('INSERT INTO public.accounts VALUES (1, 0), (2, 0)');
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('commits on success and rolls everything back on error', async () => {
    await inTransaction(ds, (tx) => tx.query('UPDATE public.accounts SET n = n + 1 WHERE id = 1'));
    await expect(
      inTransaction(ds, async (tx) => {
        await tx.query('UPDATE public.accounts SET n = n + 100 WHERE id = 1');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await db.query('SELECT n FROM public.accounts WHERE id = 1')).toEqual([{ n: 1 }]);
  });

  it('retries the victim of a real deadlock, so both transactions succeed once', async () => {
    await db.query('UPDATE public.accounts SET n = 0');
    let attempts = 0;
    let bothLockedFirst: () => void = () => undefined;
    let locked = 0;
    const barrier = new Promise<void>((r) => (bothLockedFirst = r));
    const transfer = (first: number, second: number) =>
      inTransaction(ds, async (tx) => {
        const attempt = ++attempts;
        await tx.query('UPDATE public.accounts SET n = n + 1 WHERE id = $1', [first]);
        if (attempt <= 2) {
          // Both first attempts hold their first lock before asking for the other: a deadlock.
          if (++locked === 2) bothLockedFirst();
          await barrier;
        }
        await tx.query('UPDATE public.accounts SET n = n + 1 WHERE id = $1', [second]);
      });
    await Promise.all([transfer(1, 2), transfer(2, 1)]);
    expect(attempts).toBe(3);
    expect(await db.query('SELECT id, n FROM public.accounts ORDER BY id')).toEqual([
      { id: 1, n: 2 },
      { id: 2, n: 2 },
    ]);
  });

  it('does not retry other errors', async () => {
    let attempts = 0;
    await expect(
      inTransaction(ds, async (tx) => {
        attempts++;
        await tx.query('INSERT INTO public.accounts VALUES (1, 0)');
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect(attempts).toBe(1);
  });

  it('reports an unreachable database as unavailable (503), not as a bug', async () => {
    const port = await freePort();
    const down = createDataSource({ url: `postgres://postgres@127.0.0.1:${port}/nothing`, poolMax: 1 });
    const err = await down.initialize().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeDefined();
    expect(isUnavailableDbError(err)).toBe(true);
  });
});
