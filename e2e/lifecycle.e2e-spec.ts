import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Stack } from '../tools/test-support/stack';
import { runOracle } from '../tools/oracle/run-oracle';
import { Api, eventually } from './support/http';
import { DEFAULT_WORKLOAD, planGateOpen, runReaches, startRun } from './support/scenario';

/**
 * One run through its whole life across the real processes: intent, run, CompileST, the
 * approve-plan gate, a human "yes" (plus a replay and a drift), ApplyPatchST, DecideST and
 * ExecuteST's fan-out in one delivery, the child tasks on sbxQ, SUCCESS; the SQL rows are the proof.
 */
describe('run lifecycle (e2e)', () => {
  let stack: Stack;
  let api: Api;

  beforeAll(async () => {
    stack = await Stack.start({ name: 'lifecycle' });
    api = new Api(stack.baseUrl);
  }, 120_000);

  afterAll(async () => {
    if (!stack) return;
    const report = await runOracle(stack.db.url);
    await stack.stop();
    expect(report.violations).toEqual(Object.fromEntries(Object.keys(report.violations).map((k) => [k, []])));
    expect(report.ok).toBe(true);
  }, 60_000);

  it('reports healthy only with every service answering', async () => {
    const res = await api.get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body.ok).toBe(true);
    for (const svc of ['runs', 'gates', 'escalation']) expect(res.body.services[svc].ok).toBe(true);
  });

  it('carries a run from intent to SUCCESS through the plan gate', async () => {
    const wid = await startRun(api);
    const again = await api.post('/api/runs', {
      intentId: wid,
      queueName: 'intentQ',
      queuePartitionKey: 'tenant-a',
      recipeName: 'agent-plan',
      workload: DEFAULT_WORKLOAD,
    });
    expect(again.status).toBe(202);
    expect(again.body.workflowID).toBe(wid);

    const gate = await planGateOpen(api, wid);
    expect(gate.gateKey).toBe('approve-plan');
    expect(gate.prompt.choices.map((c: { value: string }) => c.value)).toEqual(['yes', 'no']);
    expect(new Date(gate.deadlineAt).getTime()).toBeGreaterThan(Date.now());
    const waiting = await api.get(`/api/runs/${wid}`);
    expect(waiting.body).toMatchObject({
      workflowID: wid,
      status: 'PENDING',
      nextAction: 'APPROVE_PLAN',
      lastStep: 'CompileST',
    });

    const list = await api.get(`/api/runs/${wid}/gates`);
    expect(list.status).toBe(200);
    expect(list.body).toEqual([
      expect.objectContaining({ gateKey: 'approve-plan', state: 'PENDING', topic: 'human:approve-plan' }),
    ]);

    const reply = { payload: { choice: 'yes', rationale: 'looks safe' }, dedupeKey: `human-${wid}` };
    const accepted = await api.post(`/api/runs/${wid}/gates/approve-plan/reply`, reply);
    expect(accepted.status).toBe(200);
    expect(accepted.body).toEqual({ ok: true, state: 'RECEIVED', duplicate: false });

    const replay = await api.post(`/api/runs/${wid}/gates/approve-plan/reply`, reply);
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual({ ok: true, state: 'RECEIVED', duplicate: true });

    const drift = await api.post(`/api/runs/${wid}/gates/approve-plan/reply`, {
      ...reply,
      payload: { choice: 'yes', rationale: 'changed my mind about the wording' },
    });
    expect(drift.status).toBe(409);
    expect(drift.body.error).toBe('DEDUPE_CONFLICT');

    const done = await runReaches(api, wid, 'SUCCESS');
    expect(done).toMatchObject({ nextAction: 'NONE', lastStep: 'ExecuteST', error: null });

    const ledger = await stack.db.query(
      `SELECT topic, dedupe_key, payload, payload_hash, origin FROM gates.human_interactions WHERE workflow_id = $1`,
      [wid],
    );
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({ topic: 'human:approve-plan', dedupe_key: `human-${wid}`, origin: 'rest' });
    expect(ledger[0].payload).toEqual(reply.payload);
    expect(ledger[0].payload_hash).toMatch(/^[a-f0-9]{64}$/);

    const runs = await stack.db.query(`SELECT status, queue_name, queue_partition_key FROM runs.runs WHERE id = $1`, [
      wid,
    ]);
    expect(runs).toEqual([{ status: 'SUCCESS', queue_name: 'intentQ', queue_partition_key: 'tenant-a' }]);

    const steps = await stack.db.query<{ step_id: string; n: number; status: string }>(
      `SELECT step_id, count(*)::int AS n, max(status) AS status FROM runs.run_steps WHERE run_id = $1 GROUP BY step_id ORDER BY min(id)`,
      [wid],
    );
    expect(steps).toEqual([
      { step_id: 'CompileST', n: 1, status: 'SUCCEEDED' },
      { step_id: 'ApplyPatchST', n: 1, status: 'SUCCEEDED' },
      { step_id: 'DecideST', n: 1, status: 'SUCCEEDED' },
      { step_id: 'ExecuteST', n: 1, status: 'SUCCEEDED' },
    ]);

    // The three steps after the decision: one intentQ message, one transaction (started_at is its start).
    const resumed = await stack.db.query<{ step_id: string; started_at: string }>(
      `SELECT step_id, started_at::text AS started_at FROM runs.run_steps WHERE run_id = $1 AND step_id <> 'CompileST'`,
      [wid],
    );
    expect(new Set(resumed.map((r) => r.started_at)).size).toBe(1);
    const stepMessages = await stack.db.query(
      `SELECT msg_id FROM runs.inbox WHERE consumer = 'runs-intent-q' AND msg_id LIKE '%' || $1 || '%' ORDER BY msg_id`,
      [wid],
    );
    expect(stepMessages).toEqual([{ msg_id: `step:${wid}:ApplyPatchST` }, { msg_id: `step:${wid}:CompileST` }]);

    // The gates service hears of the run once more: when it finished, not at each snapshot.
    const heard = await eventually(
      async () => {
        const rows = await stack.db.query<{ consumer: string; msg_id: string }>(
          `SELECT consumer, msg_id FROM gates.inbox WHERE msg_id LIKE '%' || $1 || '%' ORDER BY consumer`,
          [wid],
        );
        return rows.some((r) => r.consumer === 'gates-run-finished') ? rows : undefined;
      },
      20_000,
      'gates to consume run-finished',
    );
    expect(heard).toEqual([
      { consumer: 'gates-gate-requested', msg_id: `gate-requested:${wid}:approve-plan` },
      { consumer: 'gates-run-finished', msg_id: `run-finished:${wid}` },
    ]);

    const artifacts = await stack.db.query<{ idx: number; task_key: string }>(
      `SELECT idx, task_key FROM runs.artifacts WHERE run_id = $1 AND step_id = 'ExecuteST' ORDER BY idx`,
      [wid],
    );
    expect(artifacts.map((a) => a.idx)).toEqual([0, 1, 2, 3, 4]);

    const events = await stack.db.query<{ key: string; n: number }>(
      `SELECT key, count(*)::int AS n FROM gates.workflow_events WHERE workflow_id = $1 AND key NOT LIKE '%:audit' GROUP BY key ORDER BY key`,
      [wid],
    );
    expect(events).toEqual([
      { key: 'decision:approve-plan', n: 1 },
      { key: 'ui:approve-plan', n: 1 },
      { key: 'ui:approve-plan:result', n: 1 },
    ]);
    const decision = await stack.db.query(
      `SELECT value FROM gates.workflow_events WHERE workflow_id = $1 AND key = 'decision:approve-plan'`,
      [wid],
    );
    expect(decision[0].value).toMatchObject({ decision: 'approve', by: 'human' });

    const gates = await stack.db.query(`SELECT state FROM gates.gates WHERE workflow_id = $1`, [wid]);
    expect(gates).toEqual([{ state: 'RECEIVED' }]);
  });

  it('cancels the pending plan gate of a run that ends while waiting, and disarms its timer', async () => {
    const wid = await startRun(api);
    await planGateOpen(api, wid);
    // ApplyPatchST for a run nobody approved can never succeed: the run ends MAX_RECOVERY_ATTEMPTS_EXCEEDED.
    const nc = await connect({ servers: stack.nats.url.split(',') });
    try {
      await jetstream(nc).publish(`q.intentQ.tenant-a`, JSON.stringify({ runId: wid, stepId: 'ApplyPatchST' }), {
        msgID: `stray-${wid}`,
      });
    } finally {
      await nc.close();
    }
    await runReaches(api, wid, 'MAX_RECOVERY_ATTEMPTS_EXCEEDED');
    const gate = await eventually(
      async () => {
        const res = await api.get(`/api/runs/${wid}/gates/approve-plan`);
        return res.body.state === 'CANCELLED' ? res.body : undefined;
      },
      20_000,
      'the plan gate cancelled',
    );
    expect(gate.decision).toBeNull();
    const timer = await eventually(
      async () => {
        const [row] = await stack.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM escalation.inbox WHERE consumer = 'escalation-gate-events' AND msg_id = $1`,
          [`gate-cancelled:${wid}:approve-plan`],
        );
        return row.n === 1 ? row : undefined;
      },
      20_000,
      'escalation to hear of the cancellation',
    );
    expect(timer.n).toBe(1);
    const reply = await api.post(`/api/runs/${wid}/gates/approve-plan/reply`, {
      payload: { choice: 'yes' },
      dedupeKey: `late-${wid}`,
    });
    expect(reply.status).toBe(409);
    expect(reply.body.error).toBe('GATE_CLOSED');
  });

  it('wakes a long-poll when the reply lands, not at its timeout', async () => {
    const wid = await startRun(api);
    await planGateOpen(api, wid);
    const started = Date.now();
    const poll = api.get(`/api/runs/${wid}/gates/approve-plan?timeoutS=20`);
    await new Promise((r) => setTimeout(r, 300));
    const res = await api.post(`/api/runs/${wid}/gates/approve-plan/reply`, {
      payload: { choice: 'yes' },
      dedupeKey: `lp-${wid}`,
    });
    expect(res.status).toBe(200);
    const woke = await poll;
    expect(woke.status).toBe(200);
    expect(woke.body.state).toBe('RECEIVED');
    expect(woke.body.result).toMatchObject({ choice: 'yes', dedupeKey: `lp-${wid}` });
    expect(Date.now() - started).toBeLessThan(10_000);
    await runReaches(api, wid, 'SUCCESS');
  });

  it('answers a pending long-poll at its timeout with the gate still pending', async () => {
    const wid = await startRun(api);
    await planGateOpen(api, wid);
    const started = Date.now();
    const res = await api.get(`/api/runs/${wid}/gates/approve-plan?timeoutS=1`);
    expect(res.status).toBe(200);
    expect(res.body.state).toBe('PENDING');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });
});
