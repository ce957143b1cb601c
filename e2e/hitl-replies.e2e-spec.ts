import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Stack } from '../tools/test-support/stack';
import { Api, eventually } from './support/http';
import { rowCounts } from './support/row-counts';
import { planGateOpen, runReaches, startRun } from './support/scenario';

/** The reply rules of DESIGN section 3 on every surface: REST, bridge, external receiver, JetStream. */
describe('HITL replies (e2e)', () => {
  let stack: Stack;
  let api: Api;
  let nc: NatsConnection;

  beforeAll(async () => {
    stack = await Stack.start({ name: 'replies' });
    api = new Api(stack.baseUrl);
    nc = await connect({ servers: stack.nats.url });
  }, 120_000);

  afterAll(async () => {
    await nc?.close();
    await stack?.stop();
  });

  const auditOf = (wid: string) =>
    stack.db.query<{ outcome: string; n: number }>(
      `SELECT value->>'outcome' AS outcome, count(*)::int AS n FROM gates.workflow_events
       WHERE workflow_id = $1 AND key = 'ui:approve-plan:audit' GROUP BY 1 ORDER BY 1`,
      [wid],
    );

  it('a "no" ends the run ERROR REJECTED with the gate key and rationale; late replies are 409 GATE_CLOSED', async () => {
    const wid = await startRun(api);
    await planGateOpen(api, wid);
    const no = { payload: { choice: 'no', rationale: 'plan touches prod DB' }, dedupeKey: `no-${wid}` };
    const res = await api.post(`/api/runs/${wid}/gates/approve-plan/reply`, no);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true, state: 'RECEIVED', duplicate: false });

    const run = await runReaches(api, wid, 'ERROR');
    expect(run.error).toMatchObject({ code: 'REJECTED', gateKey: 'approve-plan', rationale: 'plan touches prod DB' });
    expect(run.nextAction).toBe('NONE');
    const decision = await stack.db.query(
      `SELECT value FROM gates.workflow_events WHERE workflow_id = $1 AND key = 'decision:approve-plan'`,
      [wid],
    );
    expect(decision.map((d) => d.value)).toEqual([expect.objectContaining({ decision: 'reject', by: 'human' })]);
    const steps = await stack.db.query(`SELECT step_id FROM runs.run_steps WHERE run_id = $1 ORDER BY id`, [wid]);
    expect(steps.map((s) => s.step_id)).toEqual(['CompileST']);

    const late = { payload: { choice: 'yes' }, dedupeKey: `late-${wid}` };
    for (let i = 0; i < 2; i++) {
      const r = await api.post(`/api/runs/${wid}/gates/approve-plan/reply`, late);
      expect(r.status).toBe(409);
      expect(r.body.error).toBe('GATE_CLOSED');
    }
    const replay = await api.post(`/api/runs/${wid}/gates/approve-plan/reply`, no);
    expect(replay.body).toEqual({ ok: true, state: 'RECEIVED', duplicate: true });
    const gate = await api.get(`/api/runs/${wid}/gates/approve-plan`);
    expect(gate.body.state).toBe('RECEIVED');
    expect(await auditOf(wid)).toEqual([
      { outcome: 'accepted', n: 1 },
      { outcome: 'late', n: 1 },
      { outcome: 'opened', n: 1 },
    ]);
    const ledger = await stack.db.query(`SELECT dedupe_key FROM gates.human_interactions WHERE workflow_id = $1`, [
      wid,
    ]);
    expect(ledger).toEqual([{ dedupe_key: `no-${wid}` }]);
  });

  it('audits a dedupe conflict once per distinct payload and keeps the first reply', async () => {
    const wid = await startRun(api);
    await planGateOpen(api, wid);
    const first = { payload: { choice: 'yes', rationale: 'a' }, dedupeKey: `dk-${wid}` };
    expect((await api.post(`/api/runs/${wid}/gates/approve-plan/reply`, first)).status).toBe(200);
    for (const rationale of ['b', 'b', 'c']) {
      const r = await api.post(`/api/runs/${wid}/gates/approve-plan/reply`, {
        ...first,
        payload: { choice: 'yes', rationale },
      });
      expect(r.status).toBe(409);
      expect(r.body.error).toBe('DEDUPE_CONFLICT');
    }
    expect(await auditOf(wid)).toEqual([
      { outcome: 'accepted', n: 1 },
      { outcome: 'conflict', n: 2 },
      { outcome: 'opened', n: 1 },
    ]);
    const ledger = await stack.db.query(`SELECT payload FROM gates.human_interactions WHERE workflow_id = $1`, [wid]);
    expect(ledger).toEqual([{ payload: first.payload }]);
    await runReaches(api, wid, 'SUCCESS');
  });

  it('the legacy bridge says yes on the pending plan gate, idempotently', async () => {
    const wid = await startRun(api);
    await planGateOpen(api, wid);
    // The actor is the principal (here a named actor under AUTH_MODE=off), never the body's approvedBy.
    const body = { approvedBy: 'mallory', notes: 'ok by me' };
    const asAlice = { headers: { 'x-gatehouse-actor': 'alice' } };
    const res = await api.post(`/api/runs/${wid}/approve-plan`, body, asAlice);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, state: 'RECEIVED', duplicate: false });
    const again = await api.post(`/api/runs/${wid}/approve-plan`, body, asAlice);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ ok: true, duplicate: true });
    const ledger = await stack.db.query(
      `SELECT origin, actor, payload FROM gates.human_interactions WHERE workflow_id = $1`,
      [wid],
    );
    expect(ledger).toEqual([
      { origin: 'bridge', actor: 'actor:alice', payload: { choice: 'yes', rationale: 'ok by me' } },
    ]);
    await runReaches(api, wid, 'SUCCESS');
  });

  it('the legacy bridge answers 409 NO_PENDING_GATE when the plan gate was decided otherwise', async () => {
    const wid = await startRun(api);
    await planGateOpen(api, wid);
    await api.post(`/api/runs/${wid}/gates/approve-plan/reply`, { payload: { choice: 'no' }, dedupeKey: `x-${wid}` });
    const before = await rowCounts(stack.db);
    const res = await api.post(`/api/runs/${wid}/approve-plan`, { approvedBy: 'bob' });
    expect(res.status).toBe(409);
    expect(res.body.error).toBe('NO_PENDING_GATE');
    const after = await rowCounts(stack.db);
    expect(after['gates.human_interactions']).toBe(before['gates.human_interactions']);
  });

  it('the external receiver applies the same rules', async () => {
    const wid = await startRun(api);
    await planGateOpen(api, wid);
    const event = {
      workflowId: wid,
      gateKey: 'approve-plan',
      topic: 'human:approve-plan',
      payload: { choice: 'yes' },
      dedupeKey: `ext-${wid}`,
      origin: 'pagerduty',
    };
    const res = await api.post('/api/events/hitl', event);
    expect(res.status).toBe(200);
    expect(res.body.ok).toBe(true);
    const replay = await api.post('/api/events/hitl', event);
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ ok: true, duplicate: true });
    const drift = await api.post('/api/events/hitl', { ...event, payload: { choice: 'no' } });
    expect(drift.status).toBe(409);
    expect(drift.body.error).toBe('DEDUPE_CONFLICT');
    const ledger = await stack.db.query(`SELECT origin FROM gates.human_interactions WHERE workflow_id = $1`, [wid]);
    expect(ledger).toEqual([{ origin: 'pagerduty' }]);
    await runReaches(api, wid, 'SUCCESS');
  });

  it('a reply published on human.<wid>.<g> is deduplicated by dedupeKey whatever its Nats-Msg-Id', async () => {
    const wid = await startRun(api);
    await planGateOpen(api, wid);
    const js = jetstream(nc);
    const body = JSON.stringify({
      payload: { choice: 'yes', rationale: 'via bus' },
      dedupeKey: `bus-${wid}`,
      origin: 'ci-bot',
    });
    await js.publish(`human.${wid}.approve-plan`, body, { msgID: `a-${wid}` });
    await js.publish(`human.${wid}.approve-plan`, body, { msgID: `b-${wid}` });
    await runReaches(api, wid, 'SUCCESS');
    const ledger = await stack.db.query(
      `SELECT dedupe_key, origin, payload FROM gates.human_interactions WHERE workflow_id = $1`,
      [wid],
    );
    expect(ledger).toEqual([
      { dedupe_key: `bus-${wid}`, origin: 'ci-bot', payload: { choice: 'yes', rationale: 'via bus' } },
    ]);

    // A bus reply that breaks a rule is audited and never retried forever.
    await js.publish(
      `human.${wid}.approve-plan`,
      JSON.stringify({ payload: { choice: 'maybe' }, dedupeKey: `bad-${wid}` }),
    );
    await eventually(
      async () => {
        const audit = await auditOf(wid);
        return audit.some((a) => a.outcome === 'rejected_message') ? audit : undefined;
      },
      15_000,
      'rejected bus message audit',
    );
    const deadLetters = await stack.db.query(`SELECT count(*)::int AS n FROM gates.dead_letters`);
    expect(deadLetters).toEqual([{ n: 0 }]);
  });
});
