import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { PLAN_GATE_KEY, topicSubjects } from '@gatehouse/contracts';
import { runOracle } from '../tools/oracle/run-oracle';
import { scratchDir } from '../tools/test-support/paths';
import { DIST_DIR, Stack } from '../tools/test-support/stack';
import { forgedPlanApproval } from './support/forged-decision';
import { Api } from './support/http';
import { planGateOpen, runReaches, startRun } from './support/scenario';

/**
 * The whole stack on a nats-server running the shipped users and permissions (deploy/nats/auth.conf),
 * each service connected as its own user: runs pass their gate by REST and by a reply on the bus from
 * a declared outside publisher, and the same publisher cannot forge the gate's decision.
 */
describe('stack under the NATS permission matrix (e2e)', () => {
  let stack: Stack;
  let api: Api;
  let publisher: NatsConnection;

  beforeAll(async () => {
    // `deploy` gates approve by timer after 1 s: the escalation service's deadlines reach gates too.
    const policyFile = join(scratchDir('e2e', `nats-permissions-policy-${Date.now()}`), 'gate-policy.json');
    writeFileSync(
      policyFile,
      JSON.stringify({ deploy: { 'approve-plan': { timeoutS: 1, timeoutAction: 'approve' } } }),
    );
    stack = await Stack.start({ name: 'nats-permissions', natsAuth: true, env: { GATE_POLICY_FILE: policyFile } });
    api = new Api(stack.baseUrl);
    publisher = await connect({ servers: stack.nats.url, ...stack.natsCredentials('hitl-publisher') });
  }, 120_000);

  afterAll(async () => {
    await publisher?.close();
    if (!stack) return;
    const report = await runOracle(stack.db.url);
    await stack.stop();
    expect(report.violations).toEqual(Object.fromEntries(Object.keys(report.violations).map((k) => [k, []])));
  }, 60_000);

  const sql = <T = any>(text: string, params: unknown[] = []) => stack.db.query<T>(text, params);

  it('runs a run through its plan gate to SUCCESS on a REST reply', async () => {
    const wid = await startRun(api);
    await planGateOpen(api, wid);
    const reply = await api.post(`/api/runs/${wid}/gates/${PLAN_GATE_KEY}/reply`, {
      payload: { choice: 'yes', rationale: 'reviewed' },
      dedupeKey: `rest-${wid}`,
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ ok: true, state: 'RECEIVED', duplicate: false });
    const run = await runReaches(api, wid, 'SUCCESS');
    expect(run.lastStep).toBe('ExecuteST');
  });

  it('accepts a reply the declared outside publisher publishes on human.<wid>.<g>', async () => {
    const wid = await startRun(api);
    await planGateOpen(api, wid);
    const ack = await jetstream(publisher).publish(
      topicSubjects.human(wid, PLAN_GATE_KEY),
      JSON.stringify({ payload: { choice: 'yes' }, dedupeKey: `bus-${wid}`, origin: 'ci-bot' }),
      { msgID: `bus-${wid}` },
    );
    expect(ack.duplicate).toBe(false);
    await runReaches(api, wid, 'SUCCESS');
    const ledger = await sql(
      `SELECT origin, dedupe_key FROM gates.human_interactions WHERE workflow_id = $1 AND gate_key = $2`,
      [wid, PLAN_GATE_KEY],
    );
    expect(ledger).toEqual([{ origin: 'ci-bot', dedupe_key: `bus-${wid}` }]);
    const decision = await sql(
      `SELECT value->>'decision' AS decision FROM gates.workflow_events WHERE workflow_id = $1 AND key = $2`,
      [wid, `decision:${PLAN_GATE_KEY}`],
    );
    expect(decision).toEqual([{ decision: 'approve' }]);
  });

  it('passes a gate approved by the timer (escalation -> gates -> runs under the matrix)', async () => {
    const wid = await startRun(api, { recipeName: 'deploy' });
    await runReaches(api, wid, 'SUCCESS', 20_000);
    const decision = await sql(
      `SELECT value->>'decision' AS decision, value->>'by' AS by FROM gates.workflow_events WHERE workflow_id = $1 AND key = $2`,
      [wid, `decision:${PLAN_GATE_KEY}`],
    );
    expect(decision).toEqual([{ decision: 'approve', by: 'timer' }]);
  });

  it('refuses the forged gate decision from the outside publisher: the run keeps waiting', async () => {
    const wid = await startRun(api);
    await planGateOpen(api, wid);
    const forged = forgedPlanApproval(wid);
    const err = await jetstream(publisher)
      .publish(forged.subject, forged.body)
      .then(
        () => null,
        (e: Error) => (e.cause ?? e) as Error,
      );
    expect(err?.message).toMatch(/permissions violation for publish to "evt\.gates\.gate-decided\./i);

    // Long enough for the runs service to have acted on a delivered event (a run takes well under this).
    await new Promise((r) => setTimeout(r, 1500));
    const run = await api.get(`/api/runs/${wid}`);
    expect(run.body).toMatchObject({ status: 'PENDING', nextAction: 'APPROVE_PLAN', lastStep: 'CompileST' });
    const gate = await api.get(`/api/runs/${wid}/gates/${PLAN_GATE_KEY}`);
    expect(gate.body.state).toBe('PENDING');
  });
  it('stops a service whose password NATS refuses: exit 78, naming the settings, never the password', () => {
    const out = spawnSync(process.execPath, [join(DIST_DIR, 'apps', 'runs', 'src', 'main.js')], {
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: stack.db.url,
        NATS_URL: stack.nats.url,
        NATS_USER: 'runs',
        NATS_PASSWORD: 'not-the-runs-password',
        GATEHOUSE_SKIP_PREPARE: 'true',
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(out.status).toBe(78);
    expect(out.stderr).toContain('[runs] NATS refused the user "runs": check NATS_USER and NATS_PASSWORD');
    expect(out.stdout + out.stderr).not.toContain('not-the-runs-password');
  });

  // Last: covers everything the services did above (consumers, acks, outbox publishes, request/reply).
  it('no service user was refused anything: the matrix lets the real services work', () => {
    const log = readFileSync(stack.securedNats!.server.logFile, 'utf8');
    const violations = log.split('\n').filter((line) => /violation/i.test(line));
    expect(violations.length).toBeGreaterThan(0); // the forgery above, which the server logged
    for (const line of violations) expect(line).toMatch(/User "hitl-publisher", Subject "evt\.gates\.gate-decided\./);
  });
});
