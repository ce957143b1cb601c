import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateRunsSchema1763700000000 implements MigrationInterface {
  name = 'CreateRunsSchema1763700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS runs`);
    await q.query(`
      CREATE TABLE runs.intents (
        id          uuid PRIMARY KEY,
        goal        text NOT NULL,
        inputs      jsonb NOT NULL DEFAULT '{}'::jsonb,
        constraints jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE runs.runs (
        id                  uuid PRIMARY KEY REFERENCES runs.intents(id),
        status              text NOT NULL CHECK (status IN
                              ('ENQUEUED','PENDING','SUCCESS','ERROR','CANCELLED','MAX_RECOVERY_ATTEMPTS_EXCEEDED')),
        last_step           text,
        next_action         text NOT NULL DEFAULT 'NONE' CHECK (next_action IN ('APPROVE_PLAN','NONE')),
        retry_count         integer NOT NULL DEFAULT 0,
        error               jsonb,
        queue_name          text NOT NULL CHECK (queue_name = 'intentQ'),
        queue_partition_key text NOT NULL,
        recipe_name         text NOT NULL,
        workload            jsonb NOT NULL,
        plan                jsonb,
        plan_hash           text,
        -- The plan gate's decision (GateDecidedEvent minus routing), read by ApplyPatchST and DecideST.
        decision            jsonb,
        tasks_total         integer NOT NULL DEFAULT 0,
        tasks_dispatched    integer NOT NULL DEFAULT 0,
        tasks_done          integer NOT NULL DEFAULT 0,
        version             integer NOT NULL DEFAULT 1,
        created_at          timestamptz NOT NULL DEFAULT now(),
        updated_at          timestamptz NOT NULL DEFAULT now(),
        CHECK (tasks_dispatched <= tasks_total AND tasks_done <= tasks_dispatched)
      )`);
    await q.query(`CREATE INDEX runs_status_idx ON runs.runs (status) WHERE status IN ('ENQUEUED','PENDING')`);
    await q.query(`
      CREATE TABLE runs.run_steps (
        id          bigserial PRIMARY KEY,
        run_id      uuid NOT NULL REFERENCES runs.runs(id),
        step_id     text NOT NULL CHECK (step_id IN ('CompileST','ApplyPatchST','DecideST','ExecuteST')),
        attempt     integer NOT NULL CHECK (attempt >= 1),
        status      text NOT NULL CHECK (status IN ('RUNNING','SUCCEEDED','FAILED')),
        output      jsonb,
        error       jsonb,
        started_at  timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        CONSTRAINT run_steps_once UNIQUE (run_id, step_id, attempt)
      )`);
    await q.query(`
      CREATE TABLE runs.artifacts (
        id         bigserial PRIMARY KEY,
        run_id     uuid NOT NULL REFERENCES runs.runs(id),
        step_id    text NOT NULL,
        task_key   text NOT NULL,
        attempt    integer NOT NULL CHECK (attempt >= 1),
        idx        integer NOT NULL CHECK (idx >= 0),
        content    jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT artifacts_once UNIQUE (run_id, step_id, task_key, attempt, idx)
      )`);
    await q.query(`CREATE INDEX artifacts_run_idx ON runs.artifacts (run_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE runs.artifacts`);
    await q.query(`DROP TABLE runs.run_steps`);
    await q.query(`DROP TABLE runs.runs`);
    await q.query(`DROP TABLE runs.intents`);
  }
}
