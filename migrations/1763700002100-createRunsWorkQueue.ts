import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A queue table with constant churn: vacuumed after a fixed number of changes, like the outbox. */
const QUEUE_AUTOVACUUM =
  'autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000, ' +
  'autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 1000';

/**
 * `runs.work_queue`: intentQ and sbxQ work waiting for its fair share (released_at NULL) or released
 * to JetStream and not yet settled (released_at set). `tag` is the item's virtual start time. A row lives from the transaction that asks for
 * the work to the one that settles its message, so an idle partition leaves nothing behind.
 */
export class CreateRunsWorkQueue1763700002100 implements MigrationInterface {
  name = 'CreateRunsWorkQueue1763700002100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE runs.work_queue (
        id            bigserial PRIMARY KEY,
        queue         text NOT NULL CHECK (queue IN ('intentQ', 'sbxQ')),
        partition_key text NOT NULL,
        msg_id        text NOT NULL UNIQUE,
        tag           bigint NOT NULL,
        subject       text NOT NULL,
        payload       jsonb NOT NULL,
        enqueued_at   timestamptz NOT NULL DEFAULT now(),
        released_at   timestamptz
      )`);
    // The dispatcher's pick: waiting work in tag order (start-time fair queuing, see writeWork).
    await q.query(`CREATE INDEX work_queue_waiting_idx ON runs.work_queue (queue, tag, id) WHERE released_at IS NULL`);
    // A partition's last tag, read when it queues more work.
    await q.query(`CREATE INDEX work_queue_partition_idx ON runs.work_queue (queue, partition_key, tag)`);
    // Items in flight per partition: at most the window's worth.
    await q.query(
      `CREATE INDEX work_queue_in_flight_idx ON runs.work_queue (queue, partition_key) WHERE released_at IS NOT NULL`,
    );
    await q.query(`ALTER TABLE runs.work_queue SET (${QUEUE_AUTOVACUUM})`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE runs.work_queue`);
  }
}
