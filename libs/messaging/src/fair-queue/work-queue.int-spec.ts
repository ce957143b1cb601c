import type { DataSource, EntityManager } from 'typeorm';
import { createDataSource, inTransaction } from '@gatehouse/persistence';
import { createTestDatabase, type TestDatabase } from '../../../../tools/test-support/database';
import { FairDispatcher } from './fair-dispatcher';
import { settleWork, writeWork } from './work-queue';

/**
 * The tags writeWork gives against a real Postgres, where transactions that queue work run at once
 * (a consumer's group commit fans out many runs in one transaction): a newcomer's place must not
 * depend on what happens to be released at the moment it is tagged.
 */
describe('writeWork tags (Postgres)', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase('work-queue-tags');
    ds = createDataSource({ url: db.url, poolMax: 4, applicationName: 'test-work-queue-tags' });
    await ds.initialize();
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  beforeEach(async () => {
    await ds.query('TRUNCATE runs.work_queue, runs.outbox');
  });

  const items = (partition: string, n: number) =>
    Array.from({ length: n }, (_, i) => ({
      msgId: `child:${partition}:${i}`,
      subject: `q.sbxQ.${partition}`,
      payload: { partition, idx: i },
    }));

  const enqueue = (partition: string, n: number) =>
    inTransaction(ds, (tx) => writeWork(tx, 'runs', items(partition, n)));

  /** One dispatch round of sbxQ (the shipped window is 64). */
  const round = (window = 64) =>
    inTransaction(ds, (tx) =>
      new FairDispatcher(
        ds,
        'runs',
        'sbxQ',
        { window, limitOf: () => 0, onReleased: () => undefined, consumer: 'runs-sbx-q' },
        { warn: () => undefined },
      ).round(tx),
    );

  /** Items in flight per partition. */
  const inFlight = async (): Promise<Record<string, number>> =>
    Object.fromEntries(
      (
        await ds.query(
          `SELECT partition_key, count(*)::int AS n FROM runs.work_queue WHERE released_at IS NOT NULL GROUP BY 1`,
        )
      ).map((r: { partition_key: string; n: number }) => [r.partition_key, r.n]),
    );

  it('tags a newcomer at what is in flight when nothing waits, not past it, so work queued at once goes out fairly', async () => {
    // A transaction fans out three floods of 64 tasks and is slow to commit: its tags are taken now.
    const runner = ds.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      const tx: EntityManager = runner.manager;
      for (const p of ['flood-a', 'flood-b', 'flood-c']) await writeWork(tx, 'runs', items(p, 64));

      // Meanwhile a lone partition's 64 tasks go out at once (the window is work-conserving): all in flight.
      await enqueue('lone', 64);
      expect(await round()).toBe(64);

      // A small run fans out its 2 tasks now, while nothing waits; then the slow transaction commits.
      await enqueue('small', 2);
      await runner.commitTransaction();
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }

    // The lone partition's tasks settle. The next 8 items go out round-robin: the first two of each flood
    // and the small run's two, not the floods' 192 tasks first (arrival order).
    await inTransaction(ds, (tx) =>
      settleWork(
        tx,
        'runs',
        items('lone', 64).map((m) => m.msgId),
      ),
    );
    expect(await round(8)).toBe(8);
    expect(await inFlight()).toEqual({ 'flood-a': 2, 'flood-b': 2, 'flood-c': 2, small: 2 });
  });

  it('tags a newcomer at the smallest waiting tag while work waits', async () => {
    await enqueue('busy', 200);
    expect(await round()).toBe(64);
    await enqueue('late', 1);
    const [{ tag }] = await ds.query(`SELECT tag::int AS tag FROM runs.work_queue WHERE partition_key = 'late'`);
    // The busy partition's next waiting item has tag 65: the newcomer ties with it.
    expect(tag).toBe(65);
  });
});
