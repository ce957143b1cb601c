import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The policy facts a gate carries (DESIGN sections 11 and 14): its risk level, the approvals it needs
 * and has, and the plan version (hash) its prompt shows. Neutral defaults (medium, 1 of 1 needed, none
 * yet) describe every gate opened before the policy rules existed; the inbox filters and sorts on them.
 */
export class GateRiskAndApprovals1763700002000 implements MigrationInterface {
  name = 'GateRiskAndApprovals1763700002000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE gates.gates
        ADD COLUMN risk_level text NOT NULL DEFAULT 'medium'
          CHECK (risk_level IN ('low', 'medium', 'high', 'critical')),
        ADD COLUMN required_approvals integer NOT NULL DEFAULT 1 CHECK (required_approvals >= 1),
        ADD COLUMN approval_count integer NOT NULL DEFAULT 0 CHECK (approval_count >= 0),
        ADD COLUMN plan_hash text CHECK (plan_hash ~ '^[a-f0-9]{64}$')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE gates.gates
        DROP COLUMN plan_hash, DROP COLUMN approval_count, DROP COLUMN required_approvals, DROP COLUMN risk_level`);
  }
}
