import { generateApiKey } from '@gatehouse/identity';
import { Stack } from '../tools/test-support/stack';
import { Api, bearer, eventually } from './support/http';
import { rowCounts } from './support/row-counts';
import { planGateOpen, runReaches, startRun } from './support/scenario';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Pause, resume and cancel (DESIGN section 12) over the real processes, under AUTH_MODE=required. */
describe('run control (e2e)', () => {
  const bootstrapKey = generateApiKey();
  let stack: Stack;
  let admin: Api;
  /** Starts runs; may control its own. */
  let requester: Api;
  let requesterId: string;
  /** Neither operator nor requester. */
  let stranger: Api;
  let operator: Api;
  let operatorId: string;

  beforeAll(async () => {
    stack = await Stack.start({
      name: 'run-control',
      // Child tasks take a while, so a pause or cancel lands in the middle of ExecuteST.
      env: { AUTH_MODE: 'required', AUTH_BOOTSTRAP_ADMIN_KEY: bootstrapKey, SBX_MOCK_DELAY_MS: '250' },
    });
    admin = new Api(stack.baseUrl, bearer(bootstrapKey));
    const key = async (name: string, roles: string[]) => {
      const res = await admin.post('/api/keys', { name, roles });
      expect(res.status).toBe(201);
      return { api: new Api(stack.baseUrl, bearer(res.body.key)), id: `key:${res.body.id}` };
    };
    ({ api: requester, id: requesterId } = await key('requester', ['reviewer']));
    ({ api: stranger } = await key('stranger', ['reviewer']));
    ({ api: operator, id: operatorId } = await key('operator', ['operator']));
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const approve = (api: Api, wid: string) =>
    api.post(`/api/runs/${wid}/gates/approve-plan/reply`, {
      payload: { choice: 'yes', rationale: 'ok' },
      dedupeKey: `approve-${wid}`,
    });
  const control = (api: Api, wid: string, action: string, reason = `${action} for the test`) =>
    api.post(`/api/runs/${wid}/${action}`, { reason });
  const audit = (wid: string) =>
    stack.db.query<{ action: string; actor: string; reason: string; created_at: Date }>(
      `SELECT action, actor, reason, created_at FROM runs.run_control WHERE run_id = $1 ORDER BY id`,
      [wid],
    );
  const count = async (sql: string, wid: string) =>
    (await stack.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, [wid]))[0].n;
  const artifacts = (wid: string) => count('runs.artifacts WHERE run_id = $1', wid);

  it('refuses a stranger with 403 RUN_CONTROL_FORBIDDEN and writes nothing', async () => {
    const wid = await startRun(requester);
    await planGateOpen(admin, wid);
    const before = await rowCounts(stack.db);
    for (const action of ['pause', 'resume', 'cancel']) {
      const res = await control(stranger, wid, action);
      expect({ action, status: res.status, error: res.body.error }).toEqual({
        action,
        status: 403,
        error: 'RUN_CONTROL_FORBIDDEN',
      });
    }
    expect(await rowCounts(stack.db)).toEqual(before);
    expect((await admin.get(`/api/runs/${wid}`)).body.paused).toBe(false);
  });

  it('refuses a missing reason, an unknown run and a finished run with their codes', async () => {
    const wid = await startRun(requester);
    await planGateOpen(admin, wid);
    const before = await rowCounts(stack.db);
    const noReason = await operator.post(`/api/runs/${wid}/pause`, {});
    expect([noReason.status, noReason.body.error]).toEqual([400, 'VALIDATION_FAILED']);
    const extra = await operator.post(`/api/runs/${wid}/pause`, { reason: 'x', actor: 'someone-else' });
    expect([extra.status, extra.body.error]).toEqual([400, 'VALIDATION_FAILED']);
    const unknown = await control(operator, '3f1d2c4b-0000-4000-8000-000000000000', 'pause');
    expect([unknown.status, unknown.body.error]).toEqual([404, 'RUN_NOT_FOUND']);
    const notUuid = await control(operator, 'nope', 'cancel');
    expect([notUuid.status, notUuid.body.error]).toEqual([404, 'RUN_NOT_FOUND']);
    expect(await rowCounts(stack.db)).toEqual(before);
    await approve(operator, wid);
    await runReaches(admin, wid, 'SUCCESS');
    for (const action of ['pause', 'resume', 'cancel']) {
      const res = await control(operator, wid, action);
      expect([action, res.status, res.body.error]).toEqual([action, 409, 'RUN_FINISHED']);
    }
  });

  it('pauses at the gate; a reply during the pause is recorded and takes effect on resume', async () => {
    const wid = await startRun(requester);
    await planGateOpen(admin, wid);
    const paused = await control(requester, wid, 'pause', 'checking the plan with legal');
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ workflowID: wid, action: 'pause', changed: true, paused: true });
    const again = await control(operator, wid, 'pause', 'again');
    expect(again.body).toMatchObject({ changed: false, paused: true });
    const view = (await admin.get(`/api/runs/${wid}`)).body;
    expect(view).toMatchObject({ paused: true, pausedBy: requesterId, pausedReason: 'checking the plan with legal' });

    // The reply is judged and recorded now ...
    const reply = await approve(operator, wid);
    expect(reply.status).toBe(200);
    expect(reply.body.state).toBe('RECEIVED');
    await eventually(async () => ((await count('runs.held_messages WHERE run_id = $1', wid)) === 1 ? true : undefined));
    await sleep(1000);
    // ... but the run holds.
    expect((await admin.get(`/api/runs/${wid}`)).body).toMatchObject({ status: 'PENDING', nextAction: 'APPROVE_PLAN' });
    expect(await count(`runs.run_steps WHERE run_id = $1 AND step_id <> 'CompileST'`, wid)).toBe(0);

    const resumed = await control(operator, wid, 'resume', 'legal said yes');
    expect(resumed.body).toMatchObject({ changed: true, paused: false });
    expect((await control(operator, wid, 'resume')).body).toMatchObject({ changed: false, paused: false });
    const done = await runReaches(admin, wid, 'SUCCESS');
    expect(done).toMatchObject({ paused: false, pausedBy: null, pausedReason: null });
    const trail = await audit(wid);
    expect(trail.map((a) => [a.action, a.actor, a.reason])).toEqual([
      ['pause', requesterId, 'checking the plan with legal'],
      ['resume', operatorId, 'legal said yes'],
    ]);
    const [applied] = await stack.db.query<{ started_at: Date }>(
      `SELECT started_at FROM runs.run_steps WHERE run_id = $1 AND step_id = 'ApplyPatchST'`,
      [wid],
    );
    expect(applied.started_at.getTime()).toBeGreaterThanOrEqual(trail[1].created_at.getTime());
    // The facts for outbound notifications, through the outbox.
    const facts = await eventually(async () => {
      const rows = await stack.db.query<{ subject: string; payload: any; published_at: Date | null }>(
        `SELECT subject, payload, published_at FROM runs.outbox
         WHERE subject IN ('evt.runs.run-paused.' || $1, 'evt.runs.run-resumed.' || $1) ORDER BY id`,
        [wid],
      );
      return rows.every((r) => r.published_at !== null) ? rows : undefined;
    });
    expect(facts.map((f) => [f.subject, f.payload.actor, f.payload.reason])).toEqual([
      [`evt.runs.run-paused.${wid}`, requesterId, 'checking the plan with legal'],
      [`evt.runs.run-resumed.${wid}`, operatorId, 'legal said yes'],
    ]);
  });

  it('pauses during ExecuteST: the task in flight finishes, no new one starts until resume', async () => {
    const wid = await startRun(requester, { workload: { concurrency: 1, steps: 8, sandboxMinutes: 1 } });
    await planGateOpen(admin, wid);
    await approve(operator, wid);
    await eventually(async () => ((await artifacts(wid)) >= 2 ? true : undefined));
    expect((await control(operator, wid, 'pause')).status).toBe(200);
    const atPause = await artifacts(wid);
    await sleep(1500);
    const held = await artifacts(wid);
    // At most the one task in flight finished after the pause.
    expect(held).toBeLessThanOrEqual(atPause + 1);
    await sleep(1000);
    expect(await artifacts(wid)).toBe(held);
    expect(held).toBeLessThan(8);
    expect((await admin.get(`/api/runs/${wid}`)).body.status).toBe('PENDING');
    await control(operator, wid, 'resume');
    await runReaches(admin, wid, 'SUCCESS');
    expect(await artifacts(wid)).toBe(8);
  });

  it('cancels at the gate: CANCELLED, its gate cancelled, its timer disarmed; idempotent', async () => {
    const wid = await startRun(requester);
    await planGateOpen(admin, wid);
    await eventually(async () => {
      const [t] = await stack.db.query<{ status: string }>(
        `SELECT status FROM escalation.timers WHERE workflow_id = $1`,
        [wid],
      );
      return t?.status === 'ARMED' ? true : undefined;
    });
    // A paused run can be cancelled; it then is no longer paused.
    expect((await control(operator, wid, 'pause')).body).toMatchObject({ changed: true, paused: true });
    const res = await control(requester, wid, 'cancel', 'wrong repo');
    expect(res.body).toMatchObject({ changed: true, status: 'CANCELLED', paused: false });
    expect((await control(operator, wid, 'cancel', 'twice')).body).toMatchObject({
      changed: false,
      status: 'CANCELLED',
    });
    const view = (await admin.get(`/api/runs/${wid}`)).body;
    expect(view).toMatchObject({
      status: 'CANCELLED',
      nextAction: 'NONE',
      error: { code: 'CANCELLED' },
      paused: false,
    });
    expect(view.error.message).toContain('wrong repo');
    await eventually(async () => {
      const gate = await admin.get(`/api/runs/${wid}/gates/approve-plan`);
      return gate.body.state === 'CANCELLED' ? true : undefined;
    });
    await eventually(async () => {
      const [t] = await stack.db.query<{ status: string }>(
        `SELECT status FROM escalation.timers WHERE workflow_id = $1`,
        [wid],
      );
      return t?.status === 'DISARMED' ? true : undefined;
    });
    const late = await approve(operator, wid);
    expect([late.status, late.body.error]).toEqual([409, 'GATE_CLOSED']);
    expect((await control(operator, wid, 'pause')).body.error).toBe('RUN_FINISHED');
    expect((await audit(wid)).map((a) => [a.action, a.actor])).toEqual([
      ['pause', operatorId],
      ['cancel', requesterId],
    ]);
    expect(await count('runs.held_messages WHERE run_id = $1', wid)).toBe(0);
  });

  it('cancels during ExecuteST: nothing starts after the cancel commits', async () => {
    const wid = await startRun(requester, { workload: { concurrency: 2, steps: 20, sandboxMinutes: 1 } });
    await planGateOpen(admin, wid);
    await approve(operator, wid);
    await eventually(async () => ((await artifacts(wid)) >= 2 ? true : undefined));
    expect((await control(operator, wid, 'cancel', 'stop it')).body).toMatchObject({
      changed: true,
      status: 'CANCELLED',
    });
    await sleep(1500);
    const [cancel] = await audit(wid);
    expect(
      await count(`runs.artifacts WHERE run_id = $1 AND created_at > '${cancel.created_at.toISOString()}'`, wid),
    ).toBe(0);
    expect(
      await count(`runs.run_steps WHERE run_id = $1 AND started_at > '${cancel.created_at.toISOString()}'`, wid),
    ).toBe(0);
    expect(await artifacts(wid)).toBeLessThan(20);
    const [execute] = await stack.db.query<{ status: string }>(
      `SELECT status FROM runs.run_steps WHERE run_id = $1 AND step_id = 'ExecuteST'`,
      [wid],
    );
    expect(execute.status).toBe('FAILED');
  });
});
