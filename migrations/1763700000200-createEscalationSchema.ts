import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateEscalationSchema1763700000200 implements MigrationInterface {
  name = 'CreateEscalationSchema1763700000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS escalation`);
    await q.query(`
      CREATE TABLE escalation.timers (
        workflow_id uuid NOT NULL,
        gate_key    text NOT NULL,
        deadline_at timestamptz NOT NULL,
        action      text NOT NULL CHECK (action IN ('escalate','reject','approve')),
        policy      jsonb NOT NULL,
        status      text NOT NULL CHECK (status IN ('ARMED','FIRED','DISARMED')),
        fired_at    timestamptz,
        created_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workflow_id, gate_key)
      )`);
    await q.query(`CREATE INDEX timers_armed_idx ON escalation.timers (deadline_at) WHERE status = 'ARMED'`);
    await q.query(`
      CREATE TABLE escalation.escalations (
        id          text PRIMARY KEY CHECK (id = 'esc:' || workflow_id || ':' || gate_key),
        workflow_id uuid NOT NULL,
        gate_key    text NOT NULL,
        status      text NOT NULL CHECK (status IN ('STARTED','COMPLETED','FAILED')),
        action      text NOT NULL CHECK (action IN ('escalate','reject','approve')),
        detail      jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at  timestamptz NOT NULL DEFAULT now(),
        updated_at  timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (workflow_id, gate_key) REFERENCES escalation.timers (workflow_id, gate_key)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE escalation.escalations`);
    await q.query(`DROP TABLE escalation.timers`);
  }
}
