import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../test-support/database';
import { runOracle } from './run-oracle';

/**
 * The oracle must pass on a clean ledger and name each violation. Most violations cannot be written
 * because the database forbids them, so the test drops a constraint to prove the check still sees it.
 */
describe('SQL oracle', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('oracle');
  });

  afterAll(async () => {
    await db?.drop();
  });

  async function seedRun(status: string): Promise<string> {
    const id = randomUUID();
    await db.query(`INSERT INTO runs.intents (id, goal) VALUES ($1, 'g')`, [id]);
    await db.query(
      `INSERT INTO runs.runs (id, status, queue_name, queue_partition_key, recipe_name, workload)
       VALUES ($1, $2, 'intentQ', 'p', 'agent-plan', '{}')`,
      [id, status],
    );
    return id;
  }

  async function seedGate(wid: string, state: string): Promise<void> {
    await db.query(
      `INSERT INTO gates.gates (workflow_id, gate_key, state, topic, recipe_name, choices, policy, deadline_at, closed_at)
       VALUES ($1, 'approve-plan', $2, 'human:approve-plan', 'agent-plan', '[]', '{}', now() + interval '1 hour',
               CASE WHEN $2 = 'PENDING' THEN NULL ELSE now() END)`,
      [wid, state],
    );
  }

  it('passes on an empty database and reports facts', async () => {
    const report = await runOracle(db.url);
    expect(report.ok).toBe(true);
    expect(Object.values(report.violations).every((rows) => rows.length === 0)).toBe(true);
    expect(report.facts.interactions).toEqual([{ n: 0 }]);
  });

  it('flags a finished run whose gate is still pending', async () => {
    const wid = await seedRun('SUCCESS');
    await seedGate(wid, 'PENDING');
    const report = await runOracle(db.url);
    expect(report.ok).toBe(false);
    expect(report.violations.terminalRunsWithPendingGates).toEqual([
      { run_id: wid, status: 'SUCCESS', gate_key: 'approve-plan' },
    ]);
    await db.query(`DELETE FROM gates.gates WHERE workflow_id = $1`, [wid]);
  });

  it('flags a received gate without its ui:<g>:result', async () => {
    const wid = await seedRun('PENDING');
    await seedGate(wid, 'RECEIVED');
    const report = await runOracle(db.url);
    expect(report.violations.receivedGatesWithoutResult).toEqual([{ workflow_id: wid, gate_key: 'approve-plan' }]);
    await db.query(
      `INSERT INTO gates.workflow_events (workflow_id, key, value) VALUES ($1, 'ui:approve-plan:result', '{}')`,
      [wid],
    );
    expect((await runOracle(db.url)).violations.receivedGatesWithoutResult).toEqual([]);
  });

  it('flags duplicate run steps when the constraint is gone', async () => {
    const wid = await seedRun('PENDING');
    await expect(
      db.query(
        `INSERT INTO runs.run_steps (run_id, step_id, attempt, status) VALUES ($1, 'CompileST', 1, 'SUCCEEDED'), ($1, 'CompileST', 1, 'SUCCEEDED')`,
        [wid],
      ),
    ).rejects.toThrow(/run_steps_once/);
    await db.query(`ALTER TABLE runs.run_steps DROP CONSTRAINT run_steps_once`);
    await db.query(
      `INSERT INTO runs.run_steps (run_id, step_id, attempt, status) VALUES ($1, 'CompileST', 1, 'SUCCEEDED'), ($1, 'CompileST', 1, 'SUCCEEDED')`,
      [wid],
    );
    const report = await runOracle(db.url);
    expect(report.ok).toBe(false);
    expect(report.violations.duplicateRunSteps).toEqual([{ run_id: wid, step_id: 'CompileST', attempt: 1, n: 2 }]);
  });

  it('flags a malformed payload hash when the check is gone', async () => {
    await seedRun('PENDING').then(async (id) => {
      await seedGate(id, 'PENDING');
      await expect(
        db.query(
          `INSERT INTO gates.human_interactions (workflow_id, gate_key, topic, dedupe_key, payload, payload_hash, origin)
           VALUES ($1, 'approve-plan', 'human:approve-plan', 'k', '{}', 'NOT-A-HASH', 'rest')`,
          [id],
        ),
      ).rejects.toThrow(/check/i);
      await db.query(`ALTER TABLE gates.human_interactions DROP CONSTRAINT human_interactions_payload_hash_check`);
      await db.query(
        `INSERT INTO gates.human_interactions (workflow_id, gate_key, topic, dedupe_key, payload, payload_hash, origin)
         VALUES ($1, 'approve-plan', 'human:approve-plan', 'k', '{}', 'NOT-A-HASH', 'rest')`,
        [id],
      );
      const report = await runOracle(db.url);
      expect(report.violations.malformedPayloadHashes).toEqual([
        expect.objectContaining({ workflow_id: id, payload_hash: 'NOT-A-HASH' }),
      ]);
    });
  });
  describe('runs that passed the plan gate', () => {
    async function seedChainGate(wid: string, gateKey: string, state: string, level: number): Promise<void> {
      await db.query(
        `INSERT INTO gates.gates (workflow_id, gate_key, root_gate_key, escalation_level, state, topic, recipe_name,
                                  choices, policy, deadline_at, closed_at)
         VALUES ($1, $2, CASE WHEN $4 = 0 THEN NULL ELSE 'approve-plan' END, $4, $3, 'human:' || $2, 'agent-plan',
                 '[]', '{}', now(), now())`,
        [wid, gateKey, state, level],
      );
    }
    async function seedDecision(wid: string, gateKey: string, decision: string, by: string): Promise<void> {
      await db.query(`INSERT INTO gates.workflow_events (workflow_id, key, value) VALUES ($1, $2, $3)`, [
        wid,
        `decision:${gateKey}`,
        JSON.stringify({ decision, by, at: new Date().toISOString() }),
      ]);
    }
    async function seedStep(wid: string, stepId: string, status = 'SUCCEEDED'): Promise<void> {
      await db.query(`INSERT INTO runs.run_steps (run_id, step_id, attempt, status) VALUES ($1, $2, 1, $3)`, [
        wid,
        stepId,
        status,
      ]);
    }
    const flagged = async (): Promise<string[]> =>
      ((await runOracle(db.url)).violations.runsPassedGateWithoutApproval as { run_id: string }[]).map((r) => r.run_id);

    it('flags a SUCCESS run whose plan gate was cancelled without a decision (a forged event)', async () => {
      const wid = await seedRun('SUCCESS');
      await seedChainGate(wid, 'approve-plan', 'CANCELLED', 0);
      await seedStep(wid, 'CompileST');
      await seedStep(wid, 'ApplyPatchST');
      expect(await flagged()).toContain(wid);
      const report = await runOracle(db.url);
      expect(report.ok).toBe(false);
      expect(report.violations.runsPassedGateWithoutApproval).toContainEqual({
        run_id: wid,
        status: 'SUCCESS',
        last_step: null,
      });
    });

    it('flags a run with a step after CompileST whose gate was rejected, and one with no gate at all', async () => {
      const rejected = await seedRun('PENDING');
      await seedChainGate(rejected, 'approve-plan', 'RECEIVED', 0);
      await seedDecision(rejected, 'approve-plan', 'reject', 'human');
      await seedStep(rejected, 'DecideST');
      const gateless = await seedRun('PENDING');
      await seedStep(gateless, 'ExecuteST', 'RUNNING');
      expect(await flagged()).toEqual(expect.arrayContaining([rejected, gateless]));
    });

    it('accepts approval on the plan gate, on an escalation successor, and by timer or policy', async () => {
      const human = await seedRun('SUCCESS');
      await seedChainGate(human, 'approve-plan', 'RECEIVED', 0);
      await seedDecision(human, 'approve-plan', 'approve', 'human');
      await seedStep(human, 'ExecuteST');
      const successor = await seedRun('SUCCESS');
      await seedChainGate(successor, 'approve-plan', 'TIMED_OUT', 0);
      await seedDecision(successor, 'approve-plan', 'timeout', 'timer');
      await seedChainGate(successor, 'approve-plan-e1', 'RECEIVED', 1);
      await seedDecision(successor, 'approve-plan-e1', 'approve', 'human');
      const timer = await seedRun('PENDING');
      await seedChainGate(timer, 'approve-plan', 'TIMED_OUT', 0);
      await seedDecision(timer, 'approve-plan', 'approve', 'timer');
      await seedStep(timer, 'ApplyPatchST');
      const policy = await seedRun('SUCCESS');
      await seedChainGate(policy, 'approve-plan', 'RECEIVED', 0);
      await seedDecision(policy, 'approve-plan', 'approve', 'policy');
      // Waiting at the gate, or stopped there: nothing passed it.
      const waiting = await seedRun('PENDING');
      await seedStep(waiting, 'CompileST');
      // A stray ApplyPatchST the runs service refused (no approval) and gave up on: only FAILED rows.
      const refused = await seedRun('MAX_RECOVERY_ATTEMPTS_EXCEEDED');
      await seedChainGate(refused, 'approve-plan', 'CANCELLED', 0);
      await seedStep(refused, 'CompileST');
      await seedStep(refused, 'ApplyPatchST', 'FAILED');
      const runs = await flagged();
      for (const wid of [human, successor, timer, policy, waiting, refused]) expect(runs).not.toContain(wid);
    });
  });
  describe('gate policy (DESIGN section 11)', () => {
    const H1 = 'a'.repeat(64);
    const H2 = 'b'.repeat(64);

    async function seedPolicyGate(wid: string, over: { required?: number; requestedBy?: string; selfOk?: boolean }) {
      await db.query(
        `INSERT INTO gates.gates (workflow_id, gate_key, state, topic, recipe_name, choices, policy, deadline_at, closed_at,
                                  required_approvals, requested_by, self_approval_allowed, plan_hash)
         VALUES ($1, 'approve-plan', 'RECEIVED', 'human:approve-plan', 'agent-plan', '[]', '{}', now(), now(), $2, $3, $4, $5)`,
        [wid, over.required ?? 1, over.requestedBy ?? null, over.selfOk ?? false, H1],
      );
    }
    async function seedVote(wid: string, actor: string, planHash = H1, decision = 'approve'): Promise<void> {
      await db.query(
        `INSERT INTO gates.gate_votes (workflow_id, gate_key, actor, plan_hash, choice, decision, dedupe_key, origin, created_at)
         VALUES ($1, 'approve-plan', $2, $3, 'yes', $4, $2, 'rest', now())`,
        [wid, actor, planHash, decision],
      );
    }
    async function seedHumanDecision(wid: string, planHash: string, votes: object[] = []): Promise<void> {
      await db.query(
        `INSERT INTO gates.workflow_events (workflow_id, key, value) VALUES ($1, 'decision:approve-plan', $2)`,
        [wid, JSON.stringify({ decision: 'approve', by: 'human', planHash, votes, at: new Date().toISOString() })],
      );
    }
    const vote = (actor: string, planHash: string) => ({
      actor,
      choice: 'yes',
      decision: 'approve',
      dedupeKey: actor,
      origin: 'rest',
      planHash,
      at: new Date().toISOString(),
    });
    const violations = async (name: string) => (await runOracle(db.url)).violations[name] as { workflow_id: string }[];

    it('flags an approve decision with fewer distinct approvers of the decided version than required', async () => {
      const short = await seedRun('PENDING');
      await seedPolicyGate(short, { required: 2 });
      await seedVote(short, 'key:a');
      await seedVote(short, 'key:b', H2); // another version: does not count
      await seedHumanDecision(short, H1);
      const met = await seedRun('PENDING');
      await seedPolicyGate(met, { required: 2 });
      await seedVote(met, 'key:a');
      await seedVote(met, 'key:b');
      await seedHumanDecision(met, H1);
      const flagged = (await violations('approvalsWithoutQuorum')).map((r) => r.workflow_id);
      expect(flagged).toContain(short);
      expect(flagged).not.toContain(met);
    });

    it('flags an approval of another plan version in the decision, and a run that executed another version', async () => {
      const listed = await seedRun('PENDING');
      await seedPolicyGate(listed, {});
      await seedHumanDecision(listed, H1, [vote('key:a', H2)]);
      const executed = await seedRun('SUCCESS');
      await seedPolicyGate(executed, {});
      await seedHumanDecision(executed, H1, [vote('key:a', H1)]);
      await db.query(`UPDATE runs.runs SET plan_hash = $2 WHERE id = $1`, [executed, H2]);
      await db.query(
        `INSERT INTO runs.run_steps (run_id, step_id, attempt, status) VALUES ($1, 'ApplyPatchST', 1, 'SUCCEEDED')`,
        [executed],
      );
      const flagged = (await violations('approvalsOfAnotherPlanVersion')).map((r) => r.workflow_id);
      expect(flagged).toEqual(expect.arrayContaining([listed, executed]));
    });

    it('flags self-approval unless the policy allowed it or the principal is anonymous', async () => {
      const self = await seedRun('PENDING');
      await seedPolicyGate(self, { requestedBy: 'key:req' });
      await seedVote(self, 'key:req');
      const allowed = await seedRun('PENDING');
      await seedPolicyGate(allowed, { requestedBy: 'key:req', selfOk: true });
      await seedVote(allowed, 'key:req');
      const anonymous = await seedRun('PENDING');
      await seedPolicyGate(anonymous, { requestedBy: 'anonymous' });
      await seedVote(anonymous, 'anonymous');
      const rejecting = await seedRun('PENDING');
      await seedPolicyGate(rejecting, { requestedBy: 'key:req' });
      await seedVote(rejecting, 'key:req', H1, 'reject');
      const flagged = (await violations('selfApprovals')).map((r) => r.workflow_id);
      expect(flagged).toContain(self);
      for (const wid of [allowed, anonymous, rejecting]) expect(flagged).not.toContain(wid);
    });
  });
});
