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
});
