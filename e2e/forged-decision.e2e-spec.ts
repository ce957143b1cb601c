import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { PLAN_GATE_KEY } from '@gatehouse/contracts';
import { DIST_DIR, Stack } from '../tools/test-support/stack';
import { forgedPlanApproval } from './support/forged-decision';
import { Api, eventually } from './support/http';
import { planGateOpen, runReaches, startRun } from './support/scenario';

/**
 * On an open NATS (the laptop lane: no users, no permissions) anyone can publish a gate decision the
 * gates service never made, and the runs service acts on it. The SQL oracle must catch the run it
 * pushed through: it exits non-zero naming that run, and only that run.
 */
describe('a forged gate decision on an open bus (e2e)', () => {
  let stack: Stack;
  let api: Api;
  let nc: NatsConnection;

  beforeAll(async () => {
    stack = await Stack.start({ name: 'forged-decision' });
    api = new Api(stack.baseUrl);
    nc = await connect({ servers: stack.nats.url });
  }, 120_000);

  afterAll(async () => {
    await nc?.close();
    await stack?.stop();
  }, 60_000);

  const sql = <T = any>(text: string, params: unknown[] = []) => stack.db.query<T>(text, params);

  /** `npm run oracle` against the stack's database: its exit code and JSON report. */
  const oracleCommand = () => {
    const out = spawnSync(process.execPath, [join(DIST_DIR, 'tools', 'oracle', 'oracle.js')], {
      env: { PATH: process.env.PATH, DATABASE_URL: stack.db.url },
      encoding: 'utf8',
    });
    return { status: out.status, report: JSON.parse(out.stdout) as { ok: boolean; violations: Record<string, any[]> } };
  };

  it('is flagged by the oracle while an approved run stays clean', async () => {
    const approved = await startRun(api);
    await planGateOpen(api, approved);
    const reply = await api.post(`/api/runs/${approved}/gates/${PLAN_GATE_KEY}/reply`, {
      payload: { choice: 'yes' },
      dedupeKey: `ok-${approved}`,
    });
    expect(reply.status).toBe(200);
    await runReaches(api, approved, 'SUCCESS');

    // The clean ledger first: the oracle passes with the approved run in it.
    const before = oracleCommand();
    expect(before.report.violations.runsPassedGateWithoutApproval).toEqual([]);
    expect(before).toMatchObject({ status: 0, report: { ok: true } });

    const forgedRun = await startRun(api);
    await planGateOpen(api, forgedRun);
    const forged = forgedPlanApproval(forgedRun);
    await jetstream(nc).publish(forged.subject, forged.body);

    // The run goes on as if approved (the reproduced bug), its gate is then cancelled, no decision recorded.
    await runReaches(api, forgedRun, 'SUCCESS');
    const gate = await eventually(
      async () => {
        const res = await api.get(`/api/runs/${forgedRun}/gates/${PLAN_GATE_KEY}`);
        return res.body.state === 'CANCELLED' ? res.body : undefined;
      },
      10_000,
      'the forged run’s gate to be cancelled',
    );
    expect(gate.decision).toBeNull();
    expect(
      await sql(`SELECT key FROM gates.workflow_events WHERE workflow_id = $1 AND key LIKE 'decision:%'`, [forgedRun]),
    ).toEqual([]);

    const after = oracleCommand();
    expect(after.status).toBe(1);
    expect(after.report.ok).toBe(false);
    expect(after.report.violations.runsPassedGateWithoutApproval).toEqual([
      { run_id: forgedRun, status: 'SUCCESS', last_step: 'ExecuteST' },
    ]);
    // Nothing else is wrong with the ledger: this check alone sees the forgery.
    for (const [name, rows] of Object.entries(after.report.violations)) {
      if (name !== 'runsPassedGateWithoutApproval') expect({ [name]: rows }).toEqual({ [name]: [] });
    }
  });
});
