import { Stack } from '../tools/test-support/stack';
import { Api, eventually } from './support/http';
import { planGateOpen, runReaches, startRun } from './support/scenario';

/** DESIGN section 5 with a 2 s deadline and the default action (reject: no escalation target). */
describe('gate timeouts (e2e)', () => {
  let stack: Stack;
  let api: Api;

  beforeAll(async () => {
    stack = await Stack.start({ name: 'timeouts', env: { HITL_GATE_TIMEOUT_S: '2' } });
    api = new Api(stack.baseUrl);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('times the gate out once, ends the run GATE_TIMED_OUT, and refuses a late reply', async () => {
    const wid = await startRun(api);
    const gate = await planGateOpen(api, wid);
    expect(new Date(gate.deadlineAt).getTime() - Date.now()).toBeLessThanOrEqual(2_500);

    const run = await runReaches(api, wid, 'ERROR', 20_000);
    expect(run.error).toMatchObject({ code: 'GATE_TIMED_OUT', gateKey: 'approve-plan' });

    const detail = await api.get(`/api/runs/${wid}/gates/approve-plan`);
    expect(detail.body.state).toBe('TIMED_OUT');
    expect(detail.body.decision).toMatchObject({ decision: 'timeout', by: 'timer' });

    const escalations = await stack.db.query(
      `SELECT id, status, action FROM escalation.escalations WHERE workflow_id = $1`,
      [wid],
    );
    expect(escalations).toEqual([{ id: `esc:${wid}:approve-plan`, status: expect.any(String), action: 'reject' }]);
    const decisions = await stack.db.query(
      `SELECT count(*)::int AS n FROM gates.workflow_events WHERE workflow_id = $1 AND key = 'decision:approve-plan'`,
      [wid],
    );
    expect(decisions).toEqual([{ n: 1 }]);

    const late = await api.post(`/api/runs/${wid}/gates/approve-plan/reply`, {
      payload: { choice: 'yes' },
      dedupeKey: `late-${wid}`,
    });
    expect(late.status).toBe(409);
    expect(late.body.error).toBe('GATE_CLOSED');
    const ledger = await stack.db.query(
      `SELECT count(*)::int AS n FROM gates.human_interactions WHERE workflow_id = $1`,
      [wid],
    );
    expect(ledger).toEqual([{ n: 0 }]);
    expect((await api.get(`/api/runs/${wid}/gates/approve-plan`)).body.state).toBe('TIMED_OUT');
  });

  it('a reply before the deadline disarms the timer', async () => {
    const wid = await startRun(api);
    await planGateOpen(api, wid);
    const res = await api.post(`/api/runs/${wid}/gates/approve-plan/reply`, {
      payload: { choice: 'yes' },
      dedupeKey: `ok-${wid}`,
    });
    expect(res.status).toBe(200);
    await runReaches(api, wid, 'SUCCESS');
    const timer = await eventually(
      async () => {
        const rows = await stack.db.query(`SELECT status FROM escalation.timers WHERE workflow_id = $1`, [wid]);
        return rows[0]?.status === 'DISARMED' ? rows : undefined;
      },
      10_000,
      'timer disarmed',
    );
    expect(timer).toEqual([{ status: 'DISARMED' }]);
    await new Promise((r) => setTimeout(r, 2_500));
    const escalations = await stack.db.query(
      `SELECT count(*)::int AS n FROM escalation.escalations WHERE workflow_id = $1`,
      [wid],
    );
    expect(escalations).toEqual([{ n: 0 }]);
  });
});
