import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Each service schema gets its own outbox, inbox and dead-letter tables (DESIGN section 6). */
const SCHEMAS = ['runs', 'gates', 'escalation'];

export class CreateMessagingTables1763700000300 implements MigrationInterface {
  name = 'CreateMessagingTables1763700000300';

  async up(q: QueryRunner): Promise<void> {
    for (const s of SCHEMAS) {
      await q.query(`
        CREATE TABLE ${s}.outbox (
          id           bigserial PRIMARY KEY,
          msg_id       text NOT NULL UNIQUE,
          subject      text NOT NULL,
          payload      jsonb NOT NULL,
          headers      jsonb NOT NULL DEFAULT '{}'::jsonb,
          created_at   timestamptz NOT NULL DEFAULT now(),
          published_at timestamptz,
          attempts     integer NOT NULL DEFAULT 0,
          last_error   text
        )`);
      await q.query(`CREATE INDEX outbox_unpublished_idx ON ${s}.outbox (id) WHERE published_at IS NULL`);
      await q.query(`
        CREATE TABLE ${s}.inbox (
          consumer     text NOT NULL,
          msg_id       text NOT NULL,
          subject      text NOT NULL,
          processed_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (consumer, msg_id)
        )`);
      await q.query(`
        CREATE TABLE ${s}.dead_letters (
          id          bigserial PRIMARY KEY,
          consumer    text NOT NULL,
          msg_id      text NOT NULL,
          subject     text NOT NULL,
          stream_seq  bigint NOT NULL,
          deliveries  integer NOT NULL,
          payload     text NOT NULL,
          headers     jsonb NOT NULL DEFAULT '{}'::jsonb,
          error       text NOT NULL,
          created_at  timestamptz NOT NULL DEFAULT now(),
          UNIQUE (consumer, msg_id)
        )`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const s of SCHEMAS) {
      await q.query(`DROP TABLE ${s}.dead_letters`);
      await q.query(`DROP TABLE ${s}.inbox`);
      await q.query(`DROP TABLE ${s}.outbox`);
    }
  }
}
