import 'reflect-metadata';
import { createDataSource } from '@gatehouse/persistence';
import type { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../../../migrations';
import { OutboxQueueIndexAndAutovacuum1763700000400 } from '../../../../migrations/1763700000400-outboxQueueIndexAndAutovacuum';
import { createTestDatabase, type TestDatabase } from '../../../../tools/test-support/database';

/** Migration 1763700000400: the relay's queue index and the queue tables' autovacuum settings. */
describe('outbox queue index and autovacuum settings (migration up and down)', () => {
  const SCHEMAS = ['runs', 'gates', 'escalation'];
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase('outbox_queue_migration');
    ds = createDataSource({ url: db.url, poolMax: 2, applicationName: 'test-migration' });
    await ds.initialize();
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  const outboxIndexes = async (schema: string) =>
    (
      await db.query<{ indexname: string; indexdef: string }>(
        `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = 'outbox'
         AND indexname LIKE 'outbox_unpublished%' ORDER BY indexname`,
        [schema],
      )
    ).map((r) => r.indexdef.replace(/^.* USING /, `${r.indexname} USING `));

  /** This migration and the ones after it, which must be undone first (they come later in the sequence). */
  const fromThisOne = MIGRATIONS.slice(MIGRATIONS.indexOf(OutboxQueueIndexAndAutovacuum1763700000400)).map(
    (m) => new m().name,
  );
  const undoThisOne = async () => {
    for (let i = 0; i < fromThisOne.length; i++) await ds.undoLastMigration({ transaction: 'each' });
  };

  const options = async (table: string) =>
    (
      await db.query<{ opts: string[] | null }>('SELECT reloptions AS opts FROM pg_class WHERE oid = $1::regclass', [
        table,
      ])
    )[0].opts;

  async function expectUp(): Promise<void> {
    for (const s of SCHEMAS) {
      expect(await outboxIndexes(s)).toEqual([
        'outbox_unpublished_queue_idx USING btree (attempts, id) WHERE (published_at IS NULL)',
      ]);
      expect(await options(`${s}.outbox`)).toEqual([
        'autovacuum_vacuum_scale_factor=0',
        'autovacuum_vacuum_threshold=1000',
        'autovacuum_analyze_scale_factor=0',
        'autovacuum_analyze_threshold=1000',
      ]);
      expect(await options(`${s}.inbox`)).toEqual([
        'autovacuum_vacuum_scale_factor=0',
        'autovacuum_vacuum_threshold=1000',
        'autovacuum_vacuum_insert_scale_factor=0',
        'autovacuum_vacuum_insert_threshold=10000',
        'autovacuum_analyze_scale_factor=0',
        'autovacuum_analyze_threshold=10000',
      ]);
    }
  }

  it('replaces the (id) index by (attempts, id) and tunes autovacuum; down restores the previous schema', async () => {
    await expectUp();

    await undoThisOne();
    for (const s of SCHEMAS) {
      expect(await outboxIndexes(s)).toEqual(['outbox_unpublished_idx USING btree (id) WHERE (published_at IS NULL)']);
      expect(await options(`${s}.outbox`)).toBeNull();
      expect(await options(`${s}.inbox`)).toBeNull();
    }

    expect((await ds.runMigrations({ transaction: 'each' })).map((m) => m.name)).toEqual(fromThisOne);
    await expectUp();
  });

  it('replaces an index that an interrupted concurrent build left INVALID under the same name', async () => {
    await undoThisOne();
    // A CONCURRENTLY build that fails leaves its index behind, marked invalid: here, a unique build
    // over two rows with the same key, under the name the migration uses.
    await db.query(
      `INSERT INTO runs.outbox (msg_id, subject, payload, headers) VALUES ('m-1', 's', '{}', '{}'), ('m-2', 's', '{}', '{}')`,
    );
    await expect(
      db.query(
        `CREATE UNIQUE INDEX CONCURRENTLY outbox_unpublished_queue_idx ON runs.outbox (attempts) WHERE published_at IS NULL`,
      ),
    ).rejects.toThrow(/could not create unique index/);
    expect(
      await db.query(
        `SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'runs.outbox_unpublished_queue_idx'::regclass`,
      ),
    ).toEqual([{ valid: false }]);

    await ds.runMigrations({ transaction: 'each' });
    await expectUp();
    expect(
      await db.query(
        `SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'runs.outbox_unpublished_queue_idx'::regclass`,
      ),
    ).toEqual([{ valid: true }]);
  });
});
