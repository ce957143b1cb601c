import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateGatesSchema1763700000100 implements MigrationInterface {
  name = 'CreateGatesSchema1763700000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS gates`);
    await q.query(`
      CREATE TABLE gates.gates (
        workflow_id uuid NOT NULL,
        gate_key    text NOT NULL CHECK (gate_key ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
        -- A successor gate opened by escalation: the gate its chain started from (approve-plan for
        -- approve-plan-e1) and its level. NULL and 0 for a gate a run asked for (its own root).
        root_gate_key    text CHECK (root_gate_key ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
        escalation_level integer NOT NULL DEFAULT 0 CHECK (escalation_level >= 0),
        state       text NOT NULL CHECK (state IN ('PENDING','RECEIVED','TIMED_OUT','CANCELLED')),
        topic       text NOT NULL,
        recipe_name text NOT NULL,
        choices     jsonb NOT NULL,
        policy      jsonb NOT NULL,
        deadline_at timestamptz NOT NULL,
        opened_at   timestamptz NOT NULL DEFAULT now(),
        closed_at   timestamptz,
        PRIMARY KEY (workflow_id, gate_key),
        CHECK ((state = 'PENDING') = (closed_at IS NULL)),
        CHECK ((escalation_level = 0) = (root_gate_key IS NULL)),
        CHECK (escalation_level = 0 OR gate_key = root_gate_key || '-e' || escalation_level)
      )`);
    // At most one gate of an escalation chain waits at a time.
    await q.query(
      `CREATE UNIQUE INDEX gates_one_pending_per_chain ON gates.gates (workflow_id, COALESCE(root_gate_key, gate_key)) WHERE state = 'PENDING'`,
    );
    await q.query(`CREATE INDEX gates_pending_idx ON gates.gates (deadline_at) WHERE state = 'PENDING'`);
    await q.query(`
      CREATE TABLE gates.human_interactions (
        id           bigserial PRIMARY KEY,
        workflow_id  uuid NOT NULL,
        gate_key     text NOT NULL,
        topic        text NOT NULL,
        dedupe_key   text NOT NULL,
        payload      jsonb NOT NULL,
        payload_hash text NOT NULL CHECK (payload_hash ~ '^[a-f0-9]{64}$'),
        origin       text NOT NULL,
        actor        text,
        created_at   timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT human_interactions_once UNIQUE (workflow_id, gate_key, topic, dedupe_key),
        FOREIGN KEY (workflow_id, gate_key) REFERENCES gates.gates (workflow_id, gate_key)
      )`);
    // Rule 4: one dedupe key names one reply per gate, whatever the topic.
    await q.query(
      `CREATE UNIQUE INDEX human_interactions_dedupe_key ON gates.human_interactions (workflow_id, gate_key, dedupe_key)`,
    );
    await q.query(`
      CREATE TABLE gates.workflow_events (
        id          bigserial PRIMARY KEY,
        workflow_id uuid NOT NULL,
        key         text NOT NULL,
        value       jsonb NOT NULL,
        audit_key   text,
        created_at  timestamptz NOT NULL DEFAULT now(),
        CHECK ((key LIKE '%:audit') = (audit_key IS NOT NULL))
      )`);
    // ui:<g>, ui:<g>:result and decision:<g> are written once; audit entries once per audit_key.
    await q.query(
      `CREATE UNIQUE INDEX workflow_events_once ON gates.workflow_events (workflow_id, key) WHERE key NOT LIKE '%:audit'`,
    );
    await q.query(
      `CREATE UNIQUE INDEX workflow_events_audit_once ON gates.workflow_events (workflow_id, key, audit_key) WHERE audit_key IS NOT NULL`,
    );
    await q.query(`CREATE INDEX workflow_events_wf_idx ON gates.workflow_events (workflow_id, id)`);
    // Runs the gates service saw end (from run-updated events): a gate request that arrives after
    // its run ended, out of order, must not open a PENDING gate on a finished run.
    await q.query(`
      CREATE TABLE gates.finished_runs (
        workflow_id uuid PRIMARY KEY,
        status      text NOT NULL,
        finished_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE gates.finished_runs`);
    await q.query(`DROP TABLE gates.workflow_events`);
    await q.query(`DROP TABLE gates.human_interactions`);
    await q.query(`DROP TABLE gates.gates`);
  }
}
