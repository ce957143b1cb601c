import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../test-support/database';
import { PgSampler } from './pg-sampler';
import { sleep } from './pool';

describe('PgSampler (real Postgres)', () => {
  let db: TestDatabase;
  const clients: Client[] = [];

  const client = async (app: string) => {
    const c = new Client({ connectionString: db.url, application_name: app });
    await c.connect();
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    db = await createTestDatabase('load_sampler');
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) await c.end().catch(() => undefined);
    await db?.drop();
  });

  it('sees a backend waiting on a row lock, and the connections by application', async () => {
    const holder = await client('lock-holder');
    const waiter = await client('lock-waiter');
    await holder.query(`CREATE TABLE gates.load_probe (id int PRIMARY KEY)`);
    await holder.query(`INSERT INTO gates.load_probe VALUES (1)`);
    await holder.query('BEGIN');
    await holder.query(`SELECT * FROM gates.load_probe WHERE id = 1 FOR UPDATE`);
    const blocked = waiter.query(`UPDATE gates.load_probe SET id = 1 WHERE id = 1`);

    const sampler = new PgSampler(db.url, 50);
    await sampler.connect();
    try {
      sampler.start();
      // At least 400 ms and 3 samples: a loaded machine may run the 50 ms timer late.
      await sleep(400);
      for (const until = Date.now() + 10_000; sampler.sampleCount <= 2 && Date.now() < until;) await sleep(50);
      const r = sampler.stop();
      expect(r.samples).toBeGreaterThan(2);
      expect(r.waitingLocks.max).toBeGreaterThanOrEqual(1);
      expect(r.waitingLocks.byType.transactionid).toBeGreaterThan(0);
      expect(r.connections.byApplication).toMatchObject({ 'lock-holder': 1, 'lock-waiter': 1 });
      expect(r.waitEvents['Lock:transactionid']).toBeGreaterThan(0);
      expect((await sampler.backends()).length).toBeGreaterThanOrEqual(2);
    } finally {
      await holder.query('COMMIT');
      await blocked;
      await sampler.close();
    }
  });

  it('reads activity counters that move with writes', async () => {
    const sampler = new PgSampler(db.url);
    await sampler.connect();
    try {
      const a = await sampler.counters();
      const c = await client('writer');
      await c.query(
        `INSERT INTO gates.outbox (msg_id, subject, payload) SELECT 'm' || g, 's', '{}' FROM generate_series(1, 10) g`,
      );
      await c.end(); // a backend that exits publishes its statistics at once
      let b = await sampler.counters();
      for (let i = 0; i < 20 && b.tables['gates.outbox'].ins - a.tables['gates.outbox'].ins < 10; i++) {
        await sleep(100);
        b = await sampler.counters();
      }
      expect(b.database.xact_commit).toBeGreaterThan(a.database.xact_commit);
      expect(b.tables['gates.outbox'].ins - a.tables['gates.outbox'].ins).toBe(10);
    } finally {
      await sampler.close();
    }
  });
});
