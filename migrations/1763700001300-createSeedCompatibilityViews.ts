import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The seed's operators query `app.*` and `dbos.*` (the names of its first, DBOS-based build): these
 * read-only views give them those names and column names over the service schemas (DESIGN section 7),
 * so the field course's SQL runs unchanged. Only each owning service writes its schema: a write
 * through a view fails. A later migration that changes a column a view reads must drop and recreate
 * the view around the change.
 */
const VIEWS: Array<[name: string, select: string]> = [
  [
    'app.runs',
    // The seed's runs had a row id and a workflow id; here both are the intent's id.
    `SELECT r.id, r.id AS workflow_id, r.status, r.last_step, r.next_action, r.retry_count, r.error,
            r.queue_name, r.queue_partition_key, r.recipe_name, r.workload, r.plan_hash,
            r.tasks_total, r.tasks_dispatched, r.tasks_done, r.created_at, r.updated_at
       FROM runs.runs r`,
  ],
  [
    'app.run_steps',
    `SELECT s.id, s.run_id, s.step_id, s.attempt, s.status, s.output, s.error, s.started_at, s.finished_at,
            s.started_at AS created_at
       FROM runs.run_steps s`,
  ],
  [
    'app.artifacts',
    `SELECT a.id, a.run_id, a.step_id, a.task_key, a.attempt, a.idx, a.content, a.created_at
       FROM runs.artifacts a`,
  ],
  [
    'app.human_interactions',
    `SELECT h.id, h.workflow_id, h.gate_key, h.topic, h.dedupe_key, h.payload, h.payload_hash, h.origin,
            h.actor, h.created_at
       FROM gates.human_interactions h`,
  ],
  [
    'dbos.workflow_status',
    // Runs and escalation workflows (esc:<wid>:<g>) in the seed's status vocabulary. workflow_uuid is
    // text because escalation ids are not uuids. Escalations are started by a timer, not a queue.
    `SELECT r.id::text AS workflow_uuid, r.status, 'run:' || r.recipe_name AS name, r.queue_name,
            r.queue_partition_key, r.retry_count AS recovery_attempts, r.created_at, r.updated_at
       FROM runs.runs r
     UNION ALL
     SELECT e.id, CASE e.status WHEN 'STARTED' THEN 'PENDING' WHEN 'COMPLETED' THEN 'SUCCESS' ELSE 'ERROR' END,
            'escalation:' || e.action, NULL::text, NULL::text, 0, e.created_at, e.updated_at
       FROM escalation.escalations e`,
  ],
  [
    'dbos.workflow_events',
    // Every event of the HITL ABI: ui:<g>, ui:<g>:result, decision:<g> and the ui:<g>:audit entries.
    `SELECT w.workflow_id::text AS workflow_uuid, w.key, w.value, w.created_at
       FROM gates.workflow_events w`,
  ],
];

export class CreateSeedCompatibilityViews1763700001300 implements MigrationInterface {
  name = 'CreateSeedCompatibilityViews1763700001300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS app`);
    await q.query(`CREATE SCHEMA IF NOT EXISTS dbos`);
    // Postgres makes a single-table view writable; an INSTEAD OF trigger refuses every row a write
    // would touch, for any role, superusers included (privileges would not stop them).
    await q.query(`
      CREATE FUNCTION app.refuse_compat_view_write() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '%.% is a read-only compatibility view', TG_TABLE_SCHEMA, TG_TABLE_NAME
          USING ERRCODE = 'insufficient_privilege',
                HINT = 'Only the service that owns a schema (runs, gates, escalation) writes it; use the API.';
      END
      $$`);
    for (const [name, select] of VIEWS) {
      await q.query(`CREATE VIEW ${name} AS ${select}`);
      await q.query(
        `CREATE TRIGGER refuse_write INSTEAD OF INSERT OR UPDATE OR DELETE ON ${name}
         FOR EACH ROW EXECUTE FUNCTION app.refuse_compat_view_write()`,
      );
      await q.query(
        `COMMENT ON VIEW ${name} IS 'Read-only compatibility view of the seed''s SQL names (DESIGN section 7)'`,
      );
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [name] of [...VIEWS].reverse()) await q.query(`DROP VIEW ${name}`);
    await q.query(`DROP FUNCTION app.refuse_compat_view_write()`);
    await q.query(`DROP SCHEMA dbos`);
    await q.query(`DROP SCHEMA app`);
  }
}
