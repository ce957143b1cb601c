import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { connect, headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { stringify } from 'yaml';
import { generateApiKey } from '@gatehouse/identity';
import { runOracle } from '../tools/oracle/run-oracle';
import { scratchDir } from '../tools/test-support/paths';
import { Stack } from '../tools/test-support/stack';
import { Api, eventually } from './support/http';
import { rowCounts } from './support/row-counts';
import { DEFAULT_WORKLOAD, planGateOpen, runReaches } from './support/scenario';

/** Section 11 of the design, as an operator writes it. */
const POLICY = {
  riskLevels: {
    low: { autoApprove: true },
    high: { requiredApprovals: 2, roles: ['tech_lead', 'devops_engineer'] },
    critical: {
      requiredApprovals: 2,
      roles: ['tech_lead', 'devops_engineer'],
      requireRationale: true,
      requirePlanHash: true,
    },
  },
  riskRules: [{ name: 'production delete', match: { action: 'delete', environment: 'production' }, level: 'critical' }],
  allowSelfApproval: false,
  recipes: {
    'agent-plan': { 'approve-plan': { riskLevel: 'high' } },
    'nightly-report': { 'approve-plan': { riskLevel: 'low' } },
    deploy: {
      'approve-plan': {
        timeoutS: 2,
        timeoutAction: 'escalate',
        escalationChain: [{ group: 'devops_engineer', timeoutS: 600 }],
      },
    },
  },
};

const PROD_DELETE = { action: 'delete', environment: 'production' };

/**
 * Gate policy end to end (DESIGN section 11), AUTH_MODE=required with API keys minted by the bootstrap
 * admin: quorum, one vote per principal, no self-approval, roles, plan versions, auto-approval, risk
 * rules and escalation by role; each checked by the HTTP answer and by the SQL rows. The oracle runs last.
 */
describe('gate policy: risk, roles, quorum, plan versions (e2e)', () => {
  const bootstrapKey = generateApiKey();
  let stack: Stack;
  let nc: NatsConnection;
  const keys: Record<string, { id: string; key: string }> = {};
  const as: Record<string, Api> = {};
  const principal = (name: string) => `key:${keys[name].id}`;

  beforeAll(async () => {
    const dir = scratchDir('e2e', `gate-policy-${Date.now()}`);
    const policyFile = join(dir, 'gate-policy.yaml');
    writeFileSync(policyFile, stringify(POLICY));
    stack = await Stack.start({
      name: 'gate-policy',
      env: { AUTH_MODE: 'required', AUTH_BOOTSTRAP_ADMIN_KEY: bootstrapKey, GATE_POLICY_FILE: policyFile },
    });
    const admin = new Api(stack.baseUrl, { authorization: `Bearer ${bootstrapKey}` });
    const roles: Record<string, string[]> = {
      requester: ['developer', 'tech_lead'],
      alice: ['tech_lead'],
      bob: ['tech_lead'],
      carol: ['devops_engineer'],
      dave: ['developer'],
    };
    for (const [name, r] of Object.entries(roles)) {
      const made = await admin.post('/api/keys', { name, roles: r });
      expect(made.status).toBe(201);
      keys[name] = made.body;
      as[name] = new Api(stack.baseUrl, { authorization: `Bearer ${made.body.key}` });
    }
    nc = await connect({ servers: stack.nats.url });
  }, 120_000);

  afterAll(async () => {
    await nc?.close();
    if (!stack) return;
    const report = await runOracle(stack.db.url);
    await stack.stop();
    expect(report.violations).toEqual(Object.fromEntries(Object.keys(report.violations).map((k) => [k, []])));
    expect(report.ok).toBe(true);
  }, 60_000);

  const sql = <T = any>(text: string, params: unknown[] = []) => stack.db.query<T>(text, params);

  /** Starts a run as `requester`; returns its id. */
  async function startRun(recipeName: string, inputs: Record<string, unknown> = { repo: 'demo' }): Promise<string> {
    const intent = await as.requester.post('/api/intents', { goal: 'ship the plan', inputs, constraints: {} });
    expect(intent.status).toBe(201);
    const run = await as.requester.post('/api/runs', {
      intentId: intent.body.intentId,
      queueName: 'intentQ',
      queuePartitionKey: 'tenant-a',
      recipeName,
      workload: DEFAULT_WORKLOAD,
    });
    expect(run.status).toBe(202);
    return run.body.workflowID;
  }

  const reply = (who: string, wid: string, payload: Record<string, unknown>, dedupeKey: string, g = 'approve-plan') =>
    as[who].post(`/api/runs/${wid}/gates/${g}/reply`, { payload, dedupeKey });

  const gate = async (wid: string, g = 'approve-plan') => (await as.requester.get(`/api/runs/${wid}/gates/${g}`)).body;

  const votesOf = (wid: string) =>
    sql<{ actor: string; decision: string; plan_hash: string }>(
      `SELECT actor, decision, plan_hash FROM gates.gate_votes WHERE workflow_id = $1 ORDER BY created_at, actor`,
      [wid],
    );
  const ledgerOf = (wid: string) =>
    sql<{ actor: string; dedupe_key: string }>(
      `SELECT actor, dedupe_key FROM gates.human_interactions WHERE workflow_id = $1 ORDER BY id`,
      [wid],
    );
  const eventsOf = async (wid: string, key: string) =>
    (
      await sql<{ value: any }>(
        `SELECT value FROM gates.workflow_events WHERE workflow_id = $1 AND key = $2 ORDER BY id`,
        [wid, key],
      )
    ).map((r) => r.value);
  const deniedAudits = async (wid: string) =>
    (await eventsOf(wid, 'ui:approve-plan:audit')).filter((a) => a.outcome === 'denied');

  /** The request is refused with `status`/`code`, and the row counts change by exactly `writes`. */
  async function refused(
    send: () => Promise<{ status: number; body: any }>,
    status: number,
    code: string,
    writes = {},
  ) {
    const before = await rowCounts(stack.db);
    const res = await send();
    expect({ status: res.status, error: res.body.error }).toEqual({ status, error: code });
    const after = await rowCounts(stack.db);
    const expected = { ...before };
    for (const [t, n] of Object.entries(writes)) expected[t] += n as number;
    expect(after).toEqual(expected);
    return res;
  }

  it('2-of-3: the first approval is counted and the gate waits; the second distinct approver decides', async () => {
    const wid = await startRun('agent-plan');
    const open = await planGateOpen(as.requester, wid);
    expect(open).toMatchObject({ riskLevel: 'high', requiredApprovals: 2, approvalCount: 0, approvals: [] });
    expect(open.prompt.risk).toMatchObject({ level: 'high', roles: ['tech_lead', 'devops_engineer'] });

    expect((await reply('alice', wid, { choice: 'yes' }, `a-${wid}`)).body).toEqual({
      ok: true,
      state: 'PENDING',
      duplicate: false,
    });
    const counted = await gate(wid);
    expect(counted).toMatchObject({ state: 'PENDING', approvalCount: 1 });
    expect(counted.approvals.map((v: any) => v.actor)).toEqual([principal('alice')]);
    expect(counted.decision).toBeNull();

    expect((await reply('carol', wid, { choice: 'yes' }, `c-${wid}`)).body).toMatchObject({ state: 'RECEIVED' });
    await runReaches(as.requester, wid, 'SUCCESS');

    expect(await votesOf(wid)).toEqual([
      { actor: principal('alice'), decision: 'approve', plan_hash: open.planHash },
      { actor: principal('carol'), decision: 'approve', plan_hash: open.planHash },
    ]);
    expect((await ledgerOf(wid)).map((r) => r.actor)).toEqual([principal('alice'), principal('carol')]);
    const [decision] = await eventsOf(wid, 'decision:approve-plan');
    expect(await eventsOf(wid, 'decision:approve-plan')).toHaveLength(1);
    expect(decision).toMatchObject({ decision: 'approve', by: 'human', planHash: open.planHash });
    expect(decision.votes.map((v: any) => v.actor)).toEqual([principal('alice'), principal('carol')]);
    expect(await eventsOf(wid, 'ui:approve-plan:result')).toHaveLength(1);
    const [row] = await sql(`SELECT approval_count, state FROM gates.gates WHERE workflow_id = $1`, [wid]);
    expect(row).toEqual({ approval_count: 2, state: 'RECEIVED' });
  });

  it('one eligible no after one approval decides reject at once, listing both votes', async () => {
    const wid = await startRun('agent-plan');
    await planGateOpen(as.requester, wid);
    expect((await reply('alice', wid, { choice: 'yes' }, `a-${wid}`)).body.state).toBe('PENDING');
    expect((await reply('bob', wid, { choice: 'no', rationale: 'too risky' }, `b-${wid}`)).body.state).toBe('RECEIVED');
    const run = await runReaches(as.requester, wid, 'ERROR');
    expect(run.error).toMatchObject({ code: 'REJECTED', gateKey: 'approve-plan', rationale: 'too risky' });
    const [decision] = await eventsOf(wid, 'decision:approve-plan');
    expect(decision.decision).toBe('reject');
    expect(decision.votes.map((v: any) => [v.actor, v.decision])).toEqual([
      [principal('alice'), 'approve'],
      [principal('bob'), 'reject'],
    ]);
    expect((await votesOf(wid)).map((v) => v.decision)).toEqual(['approve', 'reject']);
  });

  it('a principal votes once: a second vote under a new dedupe key is 409 ALREADY_VOTED and writes nothing', async () => {
    const wid = await startRun('agent-plan');
    await planGateOpen(as.requester, wid);
    expect((await reply('alice', wid, { choice: 'yes' }, `a1-${wid}`)).status).toBe(200);
    await refused(() => reply('alice', wid, { choice: 'yes' }, `a2-${wid}`), 409, 'ALREADY_VOTED');
    // The first vote replayed is still a duplicate, not a second vote.
    expect((await reply('alice', wid, { choice: 'yes' }, `a1-${wid}`)).body).toEqual({
      ok: true,
      state: 'PENDING',
      duplicate: true,
    });
    expect(await gate(wid)).toMatchObject({ state: 'PENDING', approvalCount: 1 });
    expect(await votesOf(wid)).toHaveLength(1);
  });

  it("the run's requester may not approve its gate: 403 SELF_APPROVAL, audited once per dedupe key", async () => {
    const wid = await startRun('agent-plan');
    await planGateOpen(as.requester, wid);
    const [run] = await sql(`SELECT requested_by FROM runs.runs WHERE id = $1`, [wid]);
    expect(run.requested_by).toBe(principal('requester'));
    await refused(() => reply('requester', wid, { choice: 'yes' }, `self-${wid}`), 403, 'SELF_APPROVAL', {
      'gates.workflow_events': 1,
    });
    await refused(() => reply('requester', wid, { choice: 'yes' }, `self-${wid}`), 403, 'SELF_APPROVAL');
    expect(await deniedAudits(wid)).toEqual([
      expect.objectContaining({
        actor: principal('requester'),
        dedupeKey: `self-${wid}`,
        detail: expect.objectContaining({ error: 'SELF_APPROVAL' }),
      }),
    ]);
    expect(await ledgerOf(wid)).toEqual([]);
    expect(await votesOf(wid)).toEqual([]);
  });

  it("a role the gate's level does not allow is 403 ROLE_NOT_ALLOWED, audited once, nothing else written", async () => {
    const wid = await startRun('agent-plan');
    await planGateOpen(as.requester, wid);
    const res = await refused(() => reply('dave', wid, { choice: 'yes' }, `d-${wid}`), 403, 'ROLE_NOT_ALLOWED', {
      'gates.workflow_events': 1,
    });
    expect(res.body.message).toContain('tech_lead');
    await refused(() => reply('dave', wid, { choice: 'no' }, `d-${wid}`), 403, 'ROLE_NOT_ALLOWED');
    expect((await deniedAudits(wid)).map((a) => [a.actor, a.detail.error])).toEqual([
      [principal('dave'), 'ROLE_NOT_ALLOWED'],
    ]);
    expect(await gate(wid)).toMatchObject({ state: 'PENDING', approvalCount: 0 });
  });

  it('a risk rule over the intent and plan raises a low recipe to critical, and the prompt says why', async () => {
    const wid = await startRun('nightly-report', PROD_DELETE);
    const open = await planGateOpen(as.requester, wid);
    expect(open).toMatchObject({ riskLevel: 'critical', requiredApprovals: 2, state: 'PENDING' });
    expect(open.prompt.risk).toMatchObject({ level: 'critical', requirePlanHash: true, autoApprove: false });
    expect(open.prompt.risk.reasons).toEqual([
      'recipe nightly-report sets approve-plan to low',
      'production delete matched: critical',
    ]);
    const [row] = await sql(
      `SELECT risk_level, required_approvals, allowed_roles FROM gates.gates WHERE workflow_id = $1`,
      [wid],
    );
    expect(row).toEqual({
      risk_level: 'critical',
      required_approvals: 2,
      allowed_roles: ['tech_lead', 'devops_engineer'],
    });
  });

  it('plan versions: rationale and plan hash required; a patch makes a new version; a stale hash is 409 PLAN_CHANGED', async () => {
    const wid = await startRun('nightly-report', PROD_DELETE);
    const open = await planGateOpen(as.requester, wid);
    const h0 = open.planHash;
    expect(h0).toBe(open.prompt.planHash);
    await refused(() => reply('alice', wid, { choice: 'yes', planHash: h0 }, `x-${wid}`), 400, 'RATIONALE_REQUIRED');
    await refused(() => reply('alice', wid, { choice: 'yes', rationale: 'ok' }, `x-${wid}`), 400, 'PLAN_HASH_REQUIRED');

    const patch = [{ op: 'replace', path: '/goal', value: 'ship the plan (dry run first)' }];
    const first = await reply(
      'alice',
      wid,
      { choice: 'yes', rationale: 'dry run first', planHash: h0, patch },
      `a-${wid}`,
    );
    expect(first.body.state).toBe('PENDING');
    const h1 = (await gate(wid)).planHash;
    expect(h1).not.toBe(h0);

    await refused(
      () => reply('bob', wid, { choice: 'yes', rationale: 'ok', planHash: h0 }, `b0-${wid}`),
      409,
      'PLAN_CHANGED',
    );
    expect((await reply('bob', wid, { choice: 'yes', rationale: 'ok', planHash: h1 }, `b1-${wid}`)).body.state).toBe(
      'RECEIVED',
    );
    await runReaches(as.requester, wid, 'SUCCESS');
    const [decision] = await eventsOf(wid, 'decision:approve-plan');
    expect(decision).toMatchObject({ decision: 'approve', planHash: h1 });
    // The run executed exactly the approved version.
    const [run] = await sql(`SELECT plan_hash, plan->>'goal' AS goal FROM runs.runs WHERE id = $1`, [wid]);
    expect(run).toEqual({ plan_hash: h1, goal: 'ship the plan (dry run first)' });
  });

  it('a vote with a patch dismisses the earlier approvals: the quorum counts the new version only', async () => {
    const wid = await startRun('agent-plan');
    const open = await planGateOpen(as.requester, wid);
    expect((await reply('alice', wid, { choice: 'yes' }, `a-${wid}`)).body.state).toBe('PENDING');
    const patch = [{ op: 'replace', path: '/goal', value: 'ship the plan, canary first' }];
    expect((await reply('bob', wid, { choice: 'yes', patch }, `b-${wid}`)).body.state).toBe('PENDING');
    const patched = await gate(wid);
    expect(patched.planHash).not.toBe(open.planHash);
    expect(patched).toMatchObject({ state: 'PENDING', approvalCount: 1 });
    expect(patched.approvals.map((v: any) => v.actor)).toEqual([principal('bob')]);

    expect((await reply('carol', wid, { choice: 'yes' }, `c-${wid}`)).body.state).toBe('RECEIVED');
    await runReaches(as.requester, wid, 'SUCCESS');
    const [decision] = await eventsOf(wid, 'decision:approve-plan');
    expect(decision.planHash).toBe(patched.planHash);
    expect(decision.votes.map((v: any) => v.actor)).toEqual([principal('bob'), principal('carol')]);
    expect(await votesOf(wid)).toEqual([
      { actor: principal('alice'), decision: 'approve', plan_hash: open.planHash },
      { actor: principal('bob'), decision: 'approve', plan_hash: patched.planHash },
      { actor: principal('carol'), decision: 'approve', plan_hash: patched.planHash },
    ]);
    const [run] = await sql(`SELECT plan_hash FROM runs.runs WHERE id = $1`, [wid]);
    expect(run.plan_hash).toBe(patched.planHash);
  });

  it('low risk is auto-approved by policy as the gate opens, recorded like any decision', async () => {
    const wid = await startRun('nightly-report');
    await runReaches(as.requester, wid, 'SUCCESS');
    const decided = await gate(wid);
    expect(decided).toMatchObject({ state: 'RECEIVED', riskLevel: 'low', approvals: [] });
    expect(decided.decision).toMatchObject({
      decision: 'approve',
      by: 'policy',
      planHash: decided.planHash,
      votes: [],
    });
    expect(decided.result).toMatchObject({ origin: 'policy', actor: null, dedupeKey: 'policy:auto-approve' });
    expect(await ledgerOf(wid)).toEqual([]);
    expect(await votesOf(wid)).toEqual([]);
    expect(await eventsOf(wid, 'decision:approve-plan')).toHaveLength(1);
  });

  it("an escalation chain's successor gate is decided by the chain entry's role", async () => {
    const wid = await startRun('deploy');
    const successor = await eventually(
      async () => {
        const g = await as.requester.get(`/api/runs/${wid}/gates/approve-plan-e1`);
        return g.status === 200 && g.body.state === 'PENDING' ? g.body : undefined;
      },
      20_000,
      'successor gate',
    );
    expect(successor.prompt.risk.roles).toEqual(['devops_engineer']);
    expect(successor.prompt.risk.reasons).toContain('escalation level 1: decided by devops_engineer');
    const [row] = await sql(
      `SELECT allowed_roles FROM gates.gates WHERE workflow_id = $1 AND gate_key = 'approve-plan-e1'`,
      [wid],
    );
    expect(row.allowed_roles).toEqual(['devops_engineer']);
    await refused(
      () => reply('alice', wid, { choice: 'yes' }, `a-${wid}`, 'approve-plan-e1'),
      403,
      'ROLE_NOT_ALLOWED',
      { 'gates.workflow_events': 1 },
    );
    expect((await reply('carol', wid, { choice: 'yes' }, `c-${wid}`, 'approve-plan-e1')).body.state).toBe('RECEIVED');
    await runReaches(as.requester, wid, 'SUCCESS');
    const [decision] = await eventsOf(wid, 'decision:approve-plan-e1');
    expect(decision.votes.map((v: any) => v.actor)).toEqual([principal('carol')]);
  });

  it('over JetStream the same rules hold: a role denial, then 2-of-3 by two approvers', async () => {
    const wid = await startRun('agent-plan');
    await planGateOpen(as.requester, wid);
    const publish = async (who: string, dedupeKey: string) => {
      const h = natsHeaders();
      h.set('Authorization', `Bearer ${keys[who].key}`);
      const body = JSON.stringify({ payload: { choice: 'yes' }, dedupeKey });
      await jetstream(nc).publish(`human.${wid}.approve-plan`, body, { msgID: `${dedupeKey}-msg`, headers: h });
    };
    await publish('dave', `d-${wid}`);
    const [denied] = await eventually(
      async () => {
        const d = await deniedAudits(wid);
        return d.length > 0 ? d : undefined;
      },
      15_000,
      'the denial audit',
    );
    expect(denied).toMatchObject({
      actor: principal('dave'),
      origin: 'jetstream',
      detail: { error: 'ROLE_NOT_ALLOWED' },
    });

    await publish('alice', `a-${wid}`);
    await eventually(async () => ((await gate(wid)).approvalCount === 1 ? true : undefined), 15_000, 'one approval');
    expect((await gate(wid)).state).toBe('PENDING');
    await publish('bob', `b-${wid}`);
    await runReaches(as.requester, wid, 'SUCCESS');
    expect((await votesOf(wid)).map((v) => v.actor)).toEqual([principal('alice'), principal('bob')]);
    expect((await ledgerOf(wid)).map((r) => r.dedupe_key)).toEqual([`a-${wid}`, `b-${wid}`]);
    expect(await deniedAudits(wid)).toHaveLength(1);
  });
});
