import type { DataSource } from 'typeorm';
import { createDataSource, inTransaction } from '@gatehouse/persistence';
import { createTestDatabase, type TestDatabase } from '../../../../tools/test-support/database';
import { FairDispatcher } from './fair-dispatcher';
import { settleWork, writeWork } from './work-queue';

/**
 * The fair dispatcher against a real Postgres: what a round releases (window, fair share, limits),
 * and that replicas dispatching at once never release past the window.
 */
describe('FairDispatcher (Postgres)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  const quiet = { warn: () => undefined };

  beforeAll(async () => {
    db = await createTestDatabase('fair-dispatch');
    ds = createDataSource({ url: db.url, poolMax: 6, applicationName: 'test-fair-dispatch' });
    await ds.initialize();
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  beforeEach(async () => {
    await ds.query('TRUNCATE runs.work_queue, runs.outbox, runs.inbox');
  });

  const enqueue = (partition: string, n: number, from = 0) =>
    inTransaction(ds, (tx) =>
      writeWork(
        tx,
        'runs',
        Array.from({ length: n }, (_, i) => ({
          msgId: `child:${partition}:${from + i}`,
          subject: `q.sbxQ.${partition}`,
          payload: { partition, idx: from + i },
        })),
      ),
    );

  const dispatcher = (window: number, limits: Record<string, number> = {}, source = ds) =>
    new FairDispatcher(
      source,
      'runs',
      'sbxQ',
      {
        window,
        limitOf: (k) => limits[k] ?? 0,
        onReleased: () => undefined,
        sweepIntervalMs: 50,
        consumer: 'runs-sbx-q',
      },
      quiet,
    );

  const round = (d: FairDispatcher) => inTransaction(ds, (tx) => d.round(tx));

  const inFlight = async () =>
    Object.fromEntries(
      (
        await ds.query(
          `SELECT partition_key, count(*)::int AS n FROM runs.work_queue WHERE released_at IS NOT NULL GROUP BY 1`,
        )
      ).map((r: { partition_key: string; n: number }) => [r.partition_key, r.n]),
    );

  it("releases a newcomer's work within the window whatever the busy partition's backlog", async () => {
    await enqueue('busy', 500);
    await enqueue('small', 2);
    const d = dispatcher(10);
    expect(await round(d)).toBe(10);
    expect(await round(d)).toBe(0); // the window is full
    expect(await inFlight()).toEqual({ busy: 8, small: 2 });
    // The outbox got exactly the released messages, under their own ids, oldest first per partition.
    const outbox: { msg_id: string; subject: string }[] = await ds.query(
      'SELECT msg_id, subject FROM runs.outbox ORDER BY id',
    );
    expect(outbox).toHaveLength(10);
    expect(outbox.filter((m) => m.subject === 'q.sbxQ.small').map((m) => m.msg_id)).toEqual([
      'child:small:0',
      'child:small:1',
    ]);
    expect(outbox.filter((m) => m.subject === 'q.sbxQ.busy').map((m) => m.msg_id)).toEqual(
      Array.from({ length: 8 }, (_, i) => `child:busy:${i}`),
    );

    // A partition that arrives while the window is full is tagged at the current virtual time: it goes
    // out after at most one more item of the busy partition (the one tied with it), not after its 490.
    await enqueue('late', 1);
    await inTransaction(ds, (tx) => settleWork(tx, 'runs', ['child:busy:0', 'child:busy:1']));
    expect(await round(d)).toBe(2);
    expect(await inFlight()).toEqual({ busy: 7, small: 2, late: 1 });
  });

  it('keeps a partition under its own limit and lets others use the slots it may not', async () => {
    await enqueue('capped', 100);
    await enqueue('other', 100);
    const d = dispatcher(50, { capped: 3 });
    while ((await round(d)) !== 0);
    expect(await inFlight()).toEqual({ capped: 3, other: 47 });
  });

  it('leaves no row behind once the work is settled: idle partitions cost nothing', async () => {
    const partitions = Array.from({ length: 300 }, (_, i) => `tenant-${i}`);
    for (const p of partitions) await enqueue(p, 1);
    const d = dispatcher(1000);
    expect(await round(d)).toBe(300);
    await inTransaction(ds, (tx) =>
      settleWork(
        tx,
        'runs',
        partitions.map((p) => `child:${p}:0`),
      ),
    );
    expect((await ds.query('SELECT count(*)::int AS n FROM runs.work_queue'))[0].n).toBe(0);
    expect(await round(d)).toBe(0);
  });

  it('frees the slot of a released message its consumer already applied (its inbox row says so)', async () => {
    await enqueue('p', 3);
    const d = dispatcher(10);
    expect(await round(d)).toBe(3);
    // Applied by a consumer that did not delete the row (a replica of an earlier version).
    await ds.query(`INSERT INTO runs.inbox (consumer, msg_id, subject) VALUES ('runs-sbx-q', 'child:p:1', 'q.sbxQ.p')`);
    // Another consumer's inbox row proves nothing about this queue.
    await ds.query(
      `INSERT INTO runs.inbox (consumer, msg_id, subject) VALUES ('runs-intent-q', 'child:p:2', 'q.sbxQ.p')`,
    );
    expect(await d.reconcile()).toBe(1);
    expect(await inFlight()).toEqual({ p: 2 });
  });

  it('two replicas dispatching at once never have more than the window in flight', async () => {
    const other = createDataSource({ url: db.url, poolMax: 4, applicationName: 'test-fair-dispatch-2' });
    await other.initialize();
    const window = 16;
    const a = dispatcher(window);
    const b = dispatcher(window, {}, other);
    a.start();
    b.start();
    try {
      await enqueue('p1', 150);
      await enqueue('p2', 150);
      let settled = 0;
      let maxInFlight = 0;
      while (settled < 300) {
        const released: { msg_id: string }[] = await ds.query(
          'SELECT msg_id FROM runs.work_queue WHERE released_at IS NOT NULL',
        );
        maxInFlight = Math.max(maxInFlight, released.length);
        // Settle some of what is in flight, as consumers would, and wake either replica.
        const batch = released.slice(0, 5).map((r) => r.msg_id);
        if (batch.length > 0) await inTransaction(ds, (tx) => settleWork(tx, 'runs', batch));
        settled += batch.length;
        (settled % 2 ? a : b).kick();
        await new Promise((r) => setTimeout(r, 2));
      }
      expect(maxInFlight).toBe(window);
      const published: { n: number }[] = await ds.query('SELECT count(DISTINCT msg_id)::int AS n FROM runs.outbox');
      expect(published[0].n).toBe(300);
      expect((await ds.query('SELECT count(*)::int AS n FROM runs.outbox'))[0].n).toBe(300);
    } finally {
      await a.stop();
      await b.stop();
      await other.destroy();
    }
  });
});
