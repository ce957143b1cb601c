import type { MigrationInterface, QueryRunner } from 'typeorm';

const SCHEMAS = ['runs', 'gates', 'escalation'];

/** Vacuum the queue tables after a fixed number of changes, however large they have grown. */
const OUTBOX_AUTOVACUUM =
  'autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000, ' +
  'autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 1000';
/** The inbox is insert-only: vacuumed for its visibility map and freezing, by inserts. */
const INBOX_AUTOVACUUM =
  'autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000, ' +
  'autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 10000, ' +
  'autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 10000';
const OUTBOX_RESET =
  'autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold, autovacuum_analyze_scale_factor, autovacuum_analyze_threshold';
const INBOX_RESET = `${OUTBOX_RESET}, autovacuum_vacuum_insert_scale_factor, autovacuum_vacuum_insert_threshold`;

/**
 * The relay claims `WHERE published_at IS NULL ORDER BY attempts, id LIMIT n`. On an index of (id)
 * that is a bitmap scan plus a sort, which reads every dead entry of every row ever published (a
 * bitmap scan never marks them dead). On (attempts, id) it is an ordered index scan that stops after
 * n rows and kills the dead entries it passes. Autovacuum, where it runs, then keeps these hot
 * queue tables small.
 */
export class OutboxQueueIndexAndAutovacuum1763700000400 implements MigrationInterface {
  name = 'OutboxQueueIndexAndAutovacuum1763700000400';
  /**
   * Outside a transaction, for CREATE and DROP INDEX CONCURRENTLY: a large outbox stays writable while
   * its index builds (a plain CREATE INDEX blocks every write of the schema's facts meanwhile). Each
   * statement is idempotent, so a migration cut off half-way is simply run again.
   */
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    for (const s of SCHEMAS) {
      // A CONCURRENTLY build that was cut off leaves an INVALID index, which IF NOT EXISTS would keep.
      await dropIfInvalid(q, s, 'outbox_unpublished_queue_idx');
      await q.query(
        `CREATE INDEX CONCURRENTLY IF NOT EXISTS outbox_unpublished_queue_idx ON ${s}.outbox (attempts, id)
         WHERE published_at IS NULL`,
      );
      await q.query(`DROP INDEX CONCURRENTLY IF EXISTS ${s}.outbox_unpublished_idx`);
      await q.query(`ALTER TABLE ${s}.outbox SET (${OUTBOX_AUTOVACUUM})`);
      await q.query(`ALTER TABLE ${s}.inbox SET (${INBOX_AUTOVACUUM})`);
    }
  }

  /** Plain statements: TypeORM runs an undo in a transaction whatever `transaction` says. */
  async down(q: QueryRunner): Promise<void> {
    for (const s of SCHEMAS) {
      await q.query(`ALTER TABLE ${s}.inbox RESET (${INBOX_RESET})`);
      await q.query(`ALTER TABLE ${s}.outbox RESET (${OUTBOX_RESET})`);
      await q.query(`CREATE INDEX outbox_unpublished_idx ON ${s}.outbox (id) WHERE published_at IS NULL`);
      await q.query(`DROP INDEX ${s}.outbox_unpublished_queue_idx`);
    }
  }
}

async function dropIfInvalid(q: QueryRunner, schema: string, index: string): Promise<void> {
  const rows: unknown[] = await q.query(
    `SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relname = $2 AND NOT i.indisvalid`,
    [schema, index],
  );
  if (rows.length > 0) await q.query(`DROP INDEX CONCURRENTLY IF EXISTS ${schema}.${index}`);
}
