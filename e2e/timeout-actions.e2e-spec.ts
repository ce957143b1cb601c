import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runOracle } from '../tools/oracle/run-oracle';
import { ROOT, scratchDir } from '../tools/test-support/paths';
import { Stack } from '../tools/test-support/stack';
import { Api, eventually } from './support/http';
import { planGateOpen, runReaches, startRun } from './support/scenario';

/**
 * DESIGN section 5 with a gate policy file (GATE_POLICY_FILE, written as YAML): `deploy` runs
 * auto-approve at the deadline; `agent-plan` runs escalate through two approver groups (2 s each) and
 * then reject; `data-migration` runs keep the default (reject); `canary` is a recipe the file declares
 * (configuration, not code), which every process accepts. Every behaviour is checked in SQL.
 */
const RECIPES = {
  'agent-plan': {
    'approve-plan': {
      timeoutAction: 'escalate',
      escalationChain: [
        { group: 'sre-oncall', timeoutS: 2 },
        { group: 'eng-managers', timeoutS: 2 },
      ],
    },
  },
  deploy: { 'approve-plan': { timeoutAction: 'approve' } },
  canary: { 'approve-plan': { timeoutS: 3, timeoutAction: 'approve' } },
};

describe('timeout actions from the gate policy file (e2e)', () => {
  let stack: Stack;
  let api: Api;
  let dir: string;

  beforeAll(async () => {
    dir = scratchDir('e2e', `actions-policy-${Date.now()}`);
    const policyFile = join(dir, 'gate-policy.yaml');
    writeFileSync(policyFile, stringify({ recipes: RECIPES }));
    stack = await Stack.start({ name: 'actions', env: { GATE_POLICY_FILE: policyFile, HITL_GATE_TIMEOUT_S: '2' } });
    api = new Api(stack.baseUrl);
  }, 120_000);

  afterAll(async () => {
    if (!stack) return;
    const report = await runOracle(stack.db.url);
    await stack.stop();
    expect(report.violations).toEqual(Object.fromEntries(Object.keys(report.violations).map((k) => [k, []])));
    expect(report.ok).toBe(true);
  }, 60_000);

  const sql = <T = any>(text: string, params: unknown[] = []) => stack.db.query<T>(text, params);

  const gatesOf = (wid: string) =>
    sql(
      `SELECT gate_key, root_gate_key, escalation_level, state FROM gates.gates WHERE workflow_id = $1 ORDER BY escalation_level`,
      [wid],
    );

  const eventCounts = (wid: string) =>
    sql<{ key: string; n: number }>(
      `SELECT key, count(*)::int AS n FROM gates.workflow_events
       WHERE workflow_id = $1 AND (key LIKE 'decision:%' OR key ~ '^ui:[a-z0-9-]+$') GROUP BY key ORDER BY key`,
      [wid],
    );

  const auditOutcomes = async (wid: string, g: string) =>
    (
      await sql<{ outcome: string }>(
        `SELECT value->>'outcome' AS outcome FROM gates.workflow_events WHERE workflow_id = $1 AND key = $2 ORDER BY id`,
        [wid, `ui:${g}:audit`],
      )
    ).map((r) => r.outcome);

  /** The escalation rows of a run once every one has COMPLETED. */
  const completedEscalations = (wid: string, n: number) =>
    eventually(
      async () => {
        const rows = await sql(
          `SELECT id, gate_key, status, action, detail FROM escalation.escalations WHERE workflow_id = $1 ORDER BY created_at, gate_key`,
          [wid],
        );
        return rows.length === n && rows.every((r) => r.status === 'COMPLETED') ? rows : undefined;
      },
      15_000,
      `${n} completed escalation(s) of ${wid}`,
    );

  /** Waits (long-poll) until `g` leaves PENDING and returns its detail. */
  async function closedGate(wid: string, g: string): Promise<any> {
    return eventually(
      async () => {
        const res = await api.get(`/api/runs/${wid}/gates/${g}?timeoutS=10`);
        return res.status === 200 && res.body.state !== 'PENDING' ? res.body : undefined;
      },
      30_000,
      `gate ${g} of ${wid} closed`,
    );
  }

  it.each(['gates', 'gateway', 'runs'])(
    'stops the %s service at start on a bad policy file: exit 78, naming GATE_POLICY_FILE and the problem',
    async (service) => {
      const bad = join(dir, 'bad-policy.yaml');
      writeFileSync(bad, 'recipes:\n  deploy:\n    approve-plan: { timeoutAction: shrug }\n');
      const child = spawn(process.execPath, [join(ROOT, 'dist', 'apps', service, 'src', 'main.js')], {
        env: { PATH: process.env.PATH, GATE_POLICY_FILE: bad, DATABASE_URL: stack.db.url, NATS_URL: stack.nats.url },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      expect(code).toBe(78);
      expect(stderr).toContain('GATE_POLICY_FILE');
      expect(stderr).toContain('recipes.deploy.approve-plan.timeoutAction: must be one of escalate, reject, approve');
    },
  );

  it('a recipe the file declares is accepted by gateway and runs and gets its gate policy; an undeclared one is 400', async () => {
    const wid = await startRun(api, { recipeName: 'canary' });
    const open = await planGateOpen(api, wid);
    expect(open.prompt.policy).toMatchObject({ timeoutS: 3, timeoutAction: 'approve', escalationChain: [] });
    await runReaches(api, wid, 'SUCCESS', 30_000);
    expect(await sql(`SELECT recipe_name FROM runs.runs WHERE id = $1`, [wid])).toEqual([{ recipe_name: 'canary' }]);
    expect(await sql(`SELECT recipe_name, state FROM gates.gates WHERE workflow_id = $1`, [wid])).toEqual([
      { recipe_name: 'canary', state: 'TIMED_OUT' },
    ]);

    const intent = await api.post('/api/intents', { goal: 'undeclared', inputs: {}, constraints: {} });
    const runsBefore = await sql(`SELECT count(*)::int AS n FROM runs.runs`);
    const refused = await api.post('/api/runs', {
      intentId: intent.body.intentId,
      queueName: 'intentQ',
      queuePartitionKey: 'tenant-a',
      recipeName: 'nightly',
      workload: { concurrency: 1, steps: 1, sandboxMinutes: 1 },
    });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: 'UNKNOWN_RECIPE', message: expect.stringContaining('canary') });
    expect(await sql(`SELECT count(*)::int AS n FROM runs.runs`)).toEqual(runsBefore);
  });

  it('approve: at the deadline the gate is TIMED_OUT with decision approve by timer, and the run succeeds', async () => {
    const wid = await startRun(api, { recipeName: 'deploy' });
    const open = await planGateOpen(api, wid);
    expect(open.prompt.policy).toMatchObject({ timeoutS: 2, timeoutAction: 'approve', escalationChain: [] });

    const run = await runReaches(api, wid, 'SUCCESS', 30_000);
    expect(run.error).toBeNull();
    const gate = await closedGate(wid, 'approve-plan');
    expect(gate).toMatchObject({ state: 'TIMED_OUT', result: null, decision: { decision: 'approve', by: 'timer' } });

    expect(await gatesOf(wid)).toEqual([
      { gate_key: 'approve-plan', root_gate_key: null, escalation_level: 0, state: 'TIMED_OUT' },
    ]);
    const decisions = await sql(
      `SELECT value FROM gates.workflow_events WHERE workflow_id = $1 AND key = 'decision:approve-plan'`,
      [wid],
    );
    expect(decisions).toEqual([{ value: { decision: 'approve', by: 'timer', at: expect.any(String) } }]);
    expect(await sql(`SELECT count(*)::int AS n FROM gates.human_interactions WHERE workflow_id = $1`, [wid])).toEqual([
      { n: 0 },
    ]);
    const steps = await sql(`SELECT step_id, status FROM runs.run_steps WHERE run_id = $1 ORDER BY id`, [wid]);
    expect(steps.map((s) => s.step_id)).toEqual(['CompileST', 'ApplyPatchST', 'DecideST', 'ExecuteST']);
    const [decide] = await sql(`SELECT output FROM runs.run_steps WHERE run_id = $1 AND step_id = 'DecideST'`, [wid]);
    expect(decide.output).toMatchObject({
      gateKey: 'approve-plan',
      decision: 'approve',
      by: 'timer',
      path: 'ExecuteST',
    });

    const escalations = await completedEscalations(wid, 1);
    expect(escalations).toEqual([
      {
        id: `esc:${wid}:approve-plan`,
        gate_key: 'approve-plan',
        status: 'COMPLETED',
        action: 'approve',
        detail: { outcome: { state: 'TIMED_OUT', decision: 'approve', by: 'timer', at: expect.any(String) } },
      },
    ]);
    const view = await api.get(`/api/runs/${wid}/gates/approve-plan`);
    expect(view.body.escalation).toEqual({
      id: `esc:${wid}:approve-plan`,
      status: 'COMPLETED',
      action: 'approve',
      createdAt: expect.any(String),
      detail: escalations[0].detail,
    });
  });

  it('escalate: the plan gate opens approve-plan-e1 for the next group; a "yes" there resumes the run', async () => {
    const wid = await startRun(api);
    await planGateOpen(api, wid);
    const root = await closedGate(wid, 'approve-plan');
    expect(root).toMatchObject({ state: 'TIMED_OUT', decision: { decision: 'timeout', by: 'timer' } });

    // The successor opened in the same transaction as the timeout.
    const e1 = await api.get(`/api/runs/${wid}/gates/approve-plan-e1`);
    expect(e1.status).toBe(200);
    expect(e1.body).toMatchObject({
      gateKey: 'approve-plan-e1',
      rootGateKey: 'approve-plan',
      escalationLevel: 1,
      state: 'PENDING',
      topic: 'human:approve-plan-e1',
      escalation: null,
      prompt: {
        gateKey: 'approve-plan-e1',
        title: root.prompt.title,
        planHash: root.prompt.planHash,
        choices: root.prompt.choices,
        escalation: { rootGateKey: 'approve-plan', fromGateKey: 'approve-plan', level: 1, group: 'sre-oncall' },
        policy: { timeoutS: 2, timeoutAction: 'escalate', escalationChain: [{ group: 'eng-managers', timeoutS: 2 }] },
      },
    });
    const waiting = await api.get(`/api/runs/${wid}`);
    expect(waiting.body).toMatchObject({ status: 'PENDING', nextAction: 'APPROVE_PLAN', lastStep: 'CompileST' });

    // The legacy bridge targets the pending gate of the plan chain: the successor.
    const yes = await api.post(
      `/api/runs/${wid}/approve-plan`,
      { approvedBy: 'sre-alice', notes: 'escalated, looks fine' },
      { headers: { 'x-gatehouse-actor': 'sre-alice' } },
    );
    expect(yes.status).toBe(200);
    expect(yes.body).toMatchObject({ ok: true, state: 'RECEIVED', duplicate: false });

    const run = await runReaches(api, wid, 'SUCCESS', 30_000);
    expect(run.error).toBeNull();
    expect(await gatesOf(wid)).toEqual([
      { gate_key: 'approve-plan', root_gate_key: null, escalation_level: 0, state: 'TIMED_OUT' },
      { gate_key: 'approve-plan-e1', root_gate_key: 'approve-plan', escalation_level: 1, state: 'RECEIVED' },
    ]);
    expect(
      await sql(`SELECT gate_key, origin, actor FROM gates.human_interactions WHERE workflow_id = $1`, [wid]),
    ).toEqual([{ gate_key: 'approve-plan-e1', origin: 'bridge', actor: 'actor:sre-alice' }]);
    expect(await eventCounts(wid)).toEqual([
      { key: 'decision:approve-plan', n: 1 },
      { key: 'decision:approve-plan-e1', n: 1 },
      { key: 'ui:approve-plan', n: 1 },
      { key: 'ui:approve-plan-e1', n: 1 },
    ]);
    expect(await auditOutcomes(wid, 'approve-plan')).toEqual(['opened', 'timed_out', 'escalated']);
    expect(await auditOutcomes(wid, 'approve-plan-e1')).toEqual(['opened', 'accepted']);
    const [decide] = await sql(`SELECT output FROM runs.run_steps WHERE run_id = $1 AND step_id = 'DecideST'`, [wid]);
    expect(decide.output).toMatchObject({
      gateKey: 'approve-plan-e1',
      decision: 'approve',
      by: 'human',
      actor: 'actor:sre-alice',
    });

    const escalations = await completedEscalations(wid, 1);
    expect(escalations[0]).toMatchObject({
      id: `esc:${wid}:approve-plan`,
      action: 'escalate',
      detail: {
        successorGateKey: 'approve-plan-e1',
        outcome: { state: 'TIMED_OUT', decision: 'timeout', by: 'timer' },
      },
    });
    const view = await api.get(`/api/runs/${wid}/gates/approve-plan`);
    expect(view.body.escalation).toMatchObject({
      action: 'escalate',
      status: 'COMPLETED',
      detail: { successorGateKey: 'approve-plan-e1' },
    });

    // e1 was answered: its timer is disarmed and no escalation fires for it, even past its deadline.
    await eventually(
      async () => {
        const rows = await sql(
          `SELECT status FROM escalation.timers WHERE workflow_id = $1 AND gate_key = 'approve-plan-e1'`,
          [wid],
        );
        return rows[0]?.status === 'DISARMED' ? rows : undefined;
      },
      10_000,
      'e1 timer disarmed',
    );
    await new Promise((r) => setTimeout(r, 2_500));
    expect(await sql(`SELECT count(*)::int AS n FROM escalation.escalations WHERE workflow_id = $1`, [wid])).toEqual([
      { n: 1 },
    ]);
    expect(await sql(`SELECT count(*)::int AS n FROM gates.gates WHERE workflow_id = $1`, [wid])).toEqual([{ n: 2 }]);
  });

  it('escalate: with nobody answering, e1 then e2 open in turn, and the last timeout ends the run GATE_TIMED_OUT', async () => {
    const wid = await startRun(api);
    await planGateOpen(api, wid);
    await closedGate(wid, 'approve-plan');
    const e1 = await closedGate(wid, 'approve-plan-e1');
    expect(e1).toMatchObject({ state: 'TIMED_OUT', decision: { decision: 'timeout', by: 'timer' } });
    const e2 = (await api.get(`/api/runs/${wid}/gates/approve-plan-e2`)).body;
    expect(e2).toMatchObject({
      rootGateKey: 'approve-plan',
      escalationLevel: 2,
      prompt: {
        escalation: { rootGateKey: 'approve-plan', fromGateKey: 'approve-plan-e1', level: 2, group: 'eng-managers' },
        policy: { timeoutS: 2, timeoutAction: 'reject', escalationChain: [] },
      },
    });

    const run = await runReaches(api, wid, 'ERROR', 30_000);
    expect(run.error).toMatchObject({ code: 'GATE_TIMED_OUT', gateKey: 'approve-plan-e2' });
    expect(run.nextAction).toBe('NONE');
    expect((await gatesOf(wid)).map((g) => [g.gate_key, g.state])).toEqual([
      ['approve-plan', 'TIMED_OUT'],
      ['approve-plan-e1', 'TIMED_OUT'],
      ['approve-plan-e2', 'TIMED_OUT'],
    ]);
    // One prompt and one decision per gate of the chain.
    expect(await eventCounts(wid)).toEqual([
      { key: 'decision:approve-plan', n: 1 },
      { key: 'decision:approve-plan-e1', n: 1 },
      { key: 'decision:approve-plan-e2', n: 1 },
      { key: 'ui:approve-plan', n: 1 },
      { key: 'ui:approve-plan-e1', n: 1 },
      { key: 'ui:approve-plan-e2', n: 1 },
    ]);
    expect(await auditOutcomes(wid, 'approve-plan-e1')).toEqual(['opened', 'timed_out', 'escalated']);
    expect(await auditOutcomes(wid, 'approve-plan-e2')).toEqual(['opened', 'timed_out']);
    const list = await api.get(`/api/runs/${wid}/gates`);
    expect(list.body.map((g: any) => [g.gateKey, g.rootGateKey, g.state])).toEqual([
      ['approve-plan', 'approve-plan', 'TIMED_OUT'],
      ['approve-plan-e1', 'approve-plan', 'TIMED_OUT'],
      ['approve-plan-e2', 'approve-plan', 'TIMED_OUT'],
    ]);

    const escalations = await completedEscalations(wid, 3);
    expect(escalations.map((e) => [e.gate_key, e.action, e.detail.successorGateKey ?? null])).toEqual([
      ['approve-plan', 'escalate', 'approve-plan-e1'],
      ['approve-plan-e1', 'escalate', 'approve-plan-e2'],
      ['approve-plan-e2', 'reject', null],
    ]);

    // Each fact was announced once on sys.> for outside listeners (the relay set published_at).
    const announced = await eventually(
      async () => {
        const rows = await sql<{ subject: string; n: number; unpublished: number }>(
          `SELECT subject, count(*)::int AS n, count(*) FILTER (WHERE published_at IS NULL)::int AS unpublished
         FROM gates.outbox WHERE subject LIKE 'sys.%' AND payload->>'workflowId' = $1 GROUP BY subject ORDER BY subject`,
          [wid],
        );
        return rows.every((r) => r.unpublished === 0) ? rows : undefined;
      },
      10_000,
      'sys announcements published',
    );
    expect(announced.map((r) => [r.subject, r.n])).toEqual([
      ['sys.gatehouse.gate-escalated', 2],
      ['sys.gatehouse.gate-opened', 3],
      ['sys.gatehouse.gate-timed-out', 3],
    ]);

    const late = await api.post(`/api/runs/${wid}/gates/approve-plan-e2/reply`, {
      payload: { choice: 'yes' },
      dedupeKey: `late-${wid}`,
    });
    expect(late.status).toBe(409);
    expect(late.body.error).toBe('GATE_CLOSED');
    const bridge = await api.post(`/api/runs/${wid}/approve-plan`, { approvedBy: 'too-late' });
    expect(bridge.status).toBe(409);
    expect(bridge.body.error).toBe('NO_PENDING_GATE');
    expect(await sql(`SELECT count(*)::int AS n FROM gates.human_interactions WHERE workflow_id = $1`, [wid])).toEqual([
      { n: 0 },
    ]);
  }, 60_000);

  it('a recipe the policy file does not name keeps the default: reject at HITL_GATE_TIMEOUT_S', async () => {
    const wid = await startRun(api, { recipeName: 'data-migration' });
    const open = await planGateOpen(api, wid);
    expect(open.prompt.policy).toEqual({
      timeoutS: 2,
      timeoutAction: 'reject',
      escalationChain: [],
      requireRationale: false,
    });
    const run = await runReaches(api, wid, 'ERROR', 30_000);
    expect(run.error).toMatchObject({ code: 'GATE_TIMED_OUT', gateKey: 'approve-plan' });
    expect(await gatesOf(wid)).toHaveLength(1);
    const [esc] = await completedEscalations(wid, 1);
    expect(esc).toMatchObject({ action: 'reject' });
    expect(esc.detail.successorGateKey).toBeUndefined();
  });
});
