import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../../../../tools/test-support/database';
import { eligibility, eligibleSql, type Decider, type GateEligibilityFacts } from './gate-eligibility';

/** The inbox's SQL form of "may decide" and the code form the reply rules use agree on every combination. */
describe('gate eligibility: SQL and code agree (integration)', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('eligibility');
  });

  afterAll(async () => {
    await db?.drop();
  });

  const roleSets: (string[] | null)[] = [null, ['deployer'], ['deployer', 'dba'], ['reviewer']];
  const requesters = [null, 'key:alice', 'anonymous'];
  const deciders: Decider[] = [
    { id: 'key:alice', roles: ['reviewer'] },
    { id: 'key:bob', roles: ['deployer'] },
    { id: 'key:carol', roles: [] },
    { id: 'anonymous', roles: ['*'] },
    { id: 'actor:alice', roles: ['*'] },
    { id: 'key:alice', roles: ['dba', 'reviewer'] },
  ];

  it('for every gate and principal', async () => {
    const gates: (GateEligibilityFacts & { wid: string })[] = [];
    for (const allowedRoles of roleSets)
      for (const requestedBy of requesters)
        for (const selfApprovalAllowed of [false, true])
          gates.push({ wid: randomUUID(), allowedRoles, requestedBy, selfApprovalAllowed });
    for (const g of gates) {
      await db.query(
        `INSERT INTO gates.gates (workflow_id, gate_key, state, topic, recipe_name, choices, policy, deadline_at,
                                  requested_by, allowed_roles, self_approval_allowed)
         VALUES ($1, 'approve-plan', 'PENDING', 'human:approve-plan', 'compile-default', '[]', '{}', now() + interval '1 hour', $2, $3, $4)`,
        [g.wid, g.requestedBy, g.allowedRoles, g.selfApprovalAllowed],
      );
    }
    let allowed = 0;
    for (const d of deciders) {
      const params: unknown[] = [];
      const where = eligibleSql(d, params);
      const rows = await db.query<{ workflow_id: string }>(
        `SELECT workflow_id FROM gates.gates g WHERE ${where}`,
        params,
      );
      const bySql = new Set(rows.map((r) => r.workflow_id));
      for (const g of gates) {
        const byCode = eligibility(d, g) === null;
        expect({ decider: d, gate: g, eligible: bySql.has(g.wid) }).toEqual({ decider: d, gate: g, eligible: byCode });
        if (byCode) allowed++;
      }
    }
    // Both outcomes occur: the comparison is not vacuous.
    expect(allowed).toBeGreaterThan(0);
    expect(allowed).toBeLessThan(deciders.length * gates.length);
    expect(
      eligibility(
        { id: 'key:alice', roles: ['deployer'] },
        { allowedRoles: null, requestedBy: 'key:alice', selfApprovalAllowed: false },
      ),
    ).toBe('SELF_APPROVAL');
    expect(
      eligibility(
        { id: 'key:bob', roles: ['reviewer'] },
        { allowedRoles: ['deployer'], requestedBy: null, selfApprovalAllowed: false },
      ),
    ).toBe('ROLE_NOT_ALLOWED');
  });
});
