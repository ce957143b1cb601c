import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Gate policy made real (DESIGN section 11). Each gate keeps, from the moment it opens, the facts its
 * replies are judged on: beside the roles allowed to decide it, whether the run's requester may approve
 * it and who that requester is (added with the inbox, which filters on the same facts), whether a reply
 * must name the plan hash, and the plan version it decides on (the plan and the patch from the compiled
 * plan to it). `gates.gate_votes` holds one row per
 * principal and plan version: the quorum is counted from it, and its key refuses a second vote.
 */
export class GateVotesAndPolicyFacts1763700006000 implements MigrationInterface {
  name = 'GateVotesAndPolicyFacts1763700006000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE gates.gates
        ADD COLUMN require_plan_hash boolean NOT NULL DEFAULT false,
        ADD COLUMN plan jsonb,
        ADD COLUMN plan_patch jsonb NOT NULL DEFAULT '[]'::jsonb`);
    await q.query(`
      CREATE TABLE gates.gate_votes (
        workflow_id  uuid NOT NULL,
        gate_key     text NOT NULL,
        actor        text NOT NULL,
        plan_hash    text NOT NULL CHECK (plan_hash ~ '^[a-f0-9]{64}$'),
        choice       text NOT NULL,
        decision     text NOT NULL CHECK (decision IN ('approve', 'reject')),
        dedupe_key   text NOT NULL,
        origin       text NOT NULL,
        created_at   timestamptz NOT NULL,
        PRIMARY KEY (workflow_id, gate_key, plan_hash, actor),
        FOREIGN KEY (workflow_id, gate_key) REFERENCES gates.gates (workflow_id, gate_key)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE gates.gate_votes`);
    await q.query(`
      ALTER TABLE gates.gates
        DROP COLUMN plan_patch, DROP COLUMN plan, DROP COLUMN require_plan_hash`);
  }
}
