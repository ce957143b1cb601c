import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The operators' inbox and run control (DESIGN sections 12 and 14).
 *
 * gates.gates carries what the inbox shows and filters without asking the runs service: the prompt's
 * title, the run's
 * goal, partition and requester (sent with the gate request), and the facts that say who may decide
 * the gate (`allowed_roles`, NULL = any role; `self_approval_allowed`). The indexes serve the inbox's
 * keyset order (deadline, run, gate) for all gates, and for pending gates per recipe and per partition.
 *
 * runs.runs says whether a run is paused, by whom and why; runs.held_messages keeps the work a paused
 * run did not start (step and child-task messages, gate decisions), released in order on resume;
 * runs.run_control is the audit trail of pause, resume and cancel.
 */
export class InboxAndRunControl1763700004000 implements MigrationInterface {
  name = 'InboxAndRunControl1763700004000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE gates.gates
        ADD COLUMN title text,
        ADD COLUMN run_goal text,
        ADD COLUMN run_partition text,
        ADD COLUMN requested_by text,
        ADD COLUMN allowed_roles text[],
        ADD COLUMN self_approval_allowed boolean NOT NULL DEFAULT false`);
    await q.query(`CREATE INDEX gates_inbox_idx ON gates.gates (state, deadline_at, workflow_id, gate_key)`);
    await q.query(
      `CREATE INDEX gates_inbox_recipe_idx ON gates.gates (recipe_name, deadline_at, workflow_id, gate_key) WHERE state = 'PENDING'`,
    );
    await q.query(
      `CREATE INDEX gates_inbox_partition_idx ON gates.gates (run_partition, deadline_at, workflow_id, gate_key) WHERE state = 'PENDING'`,
    );
    await q.query(`
      ALTER TABLE runs.runs
        ADD COLUMN paused boolean NOT NULL DEFAULT false,
        ADD COLUMN paused_by text,
        ADD COLUMN paused_reason text,
        ADD COLUMN paused_at timestamptz,
        ADD COLUMN pause_count integer NOT NULL DEFAULT 0,
        ADD CONSTRAINT runs_paused_by CHECK (paused = (paused_by IS NOT NULL))`);
    await q.query(`
      CREATE TABLE runs.held_messages (
        id         bigserial PRIMARY KEY,
        run_id     uuid NOT NULL REFERENCES runs.runs(id),
        kind       text NOT NULL CHECK (kind IN ('message', 'gate-decided')),
        msg_id     text NOT NULL,
        subject    text NOT NULL,
        payload    jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT held_messages_once UNIQUE (run_id, msg_id)
      )`);
    await q.query(`
      CREATE TABLE runs.run_control (
        id         bigserial PRIMARY KEY,
        run_id     uuid NOT NULL REFERENCES runs.runs(id),
        action     text NOT NULL CHECK (action IN ('pause', 'resume', 'cancel')),
        actor      text NOT NULL,
        reason     text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX run_control_run_idx ON runs.run_control (run_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE runs.run_control`);
    await q.query(`DROP TABLE runs.held_messages`);
    await q.query(`
      ALTER TABLE runs.runs DROP CONSTRAINT runs_paused_by,
        DROP COLUMN pause_count, DROP COLUMN paused_at, DROP COLUMN paused_reason, DROP COLUMN paused_by, DROP COLUMN paused`);
    await q.query(`DROP INDEX gates.gates_inbox_partition_idx`);
    await q.query(`DROP INDEX gates.gates_inbox_recipe_idx`);
    await q.query(`DROP INDEX gates.gates_inbox_idx`);
    await q.query(`
      ALTER TABLE gates.gates DROP COLUMN self_approval_allowed, DROP COLUMN allowed_roles,
        DROP COLUMN requested_by, DROP COLUMN run_partition, DROP COLUMN run_goal, DROP COLUMN title`);
  }
}
