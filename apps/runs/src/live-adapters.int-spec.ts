import 'reflect-metadata';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  DecidedBy,
  Decision,
  GateState,
  PLAN_GATE_KEY,
  payloadHash,
  rpc,
  subjects,
  type GateDecidedEvent,
  type StartRunResult,
} from '@gatehouse/contracts';
import { freePort } from '../../../tools/test-support/free-port';
import { eventually, RunsHarness } from './test/runs-harness';

/**
 * The runs service with OC_MODE=live and SBX_MODE=live against a local HTTP executor, with
 * MAX_DELIVERIES=2 and the partition law switched off: real retries, dead letters and
 * MAX_RECOVERY_ATTEMPTS_EXCEEDED.
 */
describe('runs service with live adapters (integration)', () => {
  let h: RunsHarness;
  let server: Server;
  const calls: { path: string; body: any }[] = [];
  const failingSandboxRuns = new Set<string>();

  beforeAll(async () => {
    const port = await freePort();
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let raw = '';
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        const body = JSON.parse(raw);
        calls.push({ path: req.url ?? '', body });
        const send = (status: number, answer: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(answer));
        };
        if (req.url === '/compile') {
          if (body.intent.goal === 'cannot be planned') return send(500, { error: 'compiler down' });
          return send(200, { plan: { goal: body.intent.goal, source: 'remote', steps: ['a', 'b'] } });
        }
        if (failingSandboxRuns.has(body.runId) && body.idx === 1) return send(503, { error: 'sandbox busy' });
        return send(200, { exitCode: 0, echo: body.taskKey });
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    h = await RunsHarness.start('runs_live', {
      OC_MODE: 'live',
      OC_URL: `http://127.0.0.1:${port}/compile`,
      SBX_MODE: 'live',
      SBX_URL: `http://127.0.0.1:${port}/run`,
      LIVE_TIMEOUT_MS: '2000',
      MAX_DELIVERIES: '2',
      SBX_QUEUE_PARTITION: 'false',
    });
  }, 60_000);

  afterAll(async () => {
    await h?.stop();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  }, 30_000);

  async function start(
    goal: string,
    workload: { concurrency: number; steps: number; sandboxMinutes: number },
  ): Promise<string> {
    const { intentId } = await h.call<{ intentId: string }>(rpc.runs.createIntent, { goal });
    const res = await h.call<StartRunResult>(rpc.runs.startRun, {
      intentId,
      queueName: 'intentQ',
      recipeName: 'deploy',
      workload,
    });
    expect(res).toEqual({ workflowID: intentId, created: true });
    return intentId;
  }

  async function approve(wid: string): Promise<void> {
    const event: GateDecidedEvent = {
      workflowId: wid,
      gateKey: PLAN_GATE_KEY,
      rootGateKey: PLAN_GATE_KEY,
      state: GateState.RECEIVED,
      decision: Decision.APPROVE,
      by: DecidedBy.HUMAN,
      choice: 'yes',
      rationale: null,
      patch: null,
      actor: null,
      escalatedTo: null,
      at: new Date().toISOString(),
    };
    await h.js.publish(subjects.gateDecided(wid, PLAN_GATE_KEY), JSON.stringify(event), {
      msgID: `gate-decided:${wid}:${PLAN_GATE_KEY}`,
    });
  }

  const row = async (wid: string) =>
    (await h.db.query<Record<string, any>>(`SELECT * FROM runs.runs WHERE id = $1`, [wid]))[0];
  const reaches = (wid: string, status: string) =>
    eventually(async () => ((await row(wid))?.status === status ? row(wid) : undefined), `${wid} to reach ${status}`);
  const steps = (wid: string) =>
    h.db.query(`SELECT step_id, attempt, status FROM runs.run_steps WHERE run_id = $1 ORDER BY id`, [wid]);

  it('runs on the remote compiler and sandbox, on the default partition when partitioning is off', async () => {
    const wid = await start('deploy the api', { concurrency: 2, steps: 3, sandboxMinutes: 1 });
    await eventually(async () => (await row(wid))?.next_action === 'APPROVE_PLAN', 'plan gate');
    const waiting = await row(wid);
    expect(waiting.queue_partition_key).toBe('_');
    expect(waiting.plan).toEqual({ goal: 'deploy the api', source: 'remote', steps: ['a', 'b'] });
    expect(waiting.plan_hash).toBe(payloadHash(waiting.plan));
    expect(calls.filter((c) => c.path === '/compile' && c.body.intent.id === wid)).toEqual([
      { path: '/compile', body: { intent: { id: wid, goal: 'deploy the api', inputs: {}, constraints: {} } } },
    ]);

    await approve(wid);
    await reaches(wid, 'SUCCESS');
    const artifacts = await h.db.query<{ idx: number; content: unknown }>(
      `SELECT idx, content FROM runs.artifacts WHERE run_id = $1 ORDER BY idx`,
      [wid],
    );
    expect(artifacts).toEqual([0, 1, 2].map((idx) => ({ idx, content: { exitCode: 0, echo: `task-${idx}` } })));
    const runCalls = calls.filter((c) => c.path === '/run' && c.body.runId === wid).map((c) => c.body);
    expect(runCalls.sort((a, b) => a.idx - b.idx)).toEqual(
      [0, 1, 2].map((idx) => ({ runId: wid, taskKey: `task-${idx}`, idx, sandboxMinutes: 1 })),
    );
  });

  it('ends MAX_RECOVERY_ATTEMPTS_EXCEEDED when CompileST fails on every delivery', async () => {
    const wid = await start('cannot be planned', { concurrency: 1, steps: 1, sandboxMinutes: 1 });
    const failed = await reaches(wid, 'MAX_RECOVERY_ATTEMPTS_EXCEEDED');
    expect(failed).toMatchObject({ next_action: 'NONE', retry_count: 1, plan: null, last_step: null });
    expect(failed.error).toMatchObject({ code: 'MAX_RECOVERY_ATTEMPTS_EXCEEDED', stepId: 'CompileST' });
    expect(failed.error.message).toContain('answered 500');
    expect(await steps(wid)).toEqual([{ step_id: 'CompileST', attempt: 2, status: 'FAILED' }]);
    expect(calls.filter((c) => c.path === '/compile' && c.body.intent.id === wid)).toHaveLength(2);
    expect(
      await h.db.query(`SELECT consumer, msg_id, deliveries FROM runs.dead_letters WHERE msg_id = $1`, [
        `step:${wid}:CompileST`,
      ]),
    ).toEqual([{ consumer: 'runs-intent-q', msg_id: `step:${wid}:CompileST`, deliveries: 2 }]);
    const gateRequests = await h.db.query(`SELECT 1 FROM runs.outbox WHERE msg_id = $1`, [
      `gate-requested:${wid}:approve-plan`,
    ]);
    expect(gateRequests).toEqual([]);
  });

  it('closes ExecuteST FAILED and stops dispatching when a child task fails on every delivery', async () => {
    const wid = await start('deploy the worker', { concurrency: 1, steps: 3, sandboxMinutes: 2 });
    failingSandboxRuns.add(wid);
    await eventually(async () => (await row(wid))?.next_action === 'APPROVE_PLAN', 'plan gate');
    await approve(wid);
    const failed = await reaches(wid, 'MAX_RECOVERY_ATTEMPTS_EXCEEDED');
    expect(failed).toMatchObject({
      retry_count: 1,
      tasks_total: 3,
      tasks_dispatched: 2,
      tasks_done: 1,
      last_step: 'DecideST',
    });
    expect(failed.error).toMatchObject({ code: 'MAX_RECOVERY_ATTEMPTS_EXCEEDED', stepId: 'ExecuteST' });
    expect(failed.error.message).toContain('task-1');
    expect(await steps(wid)).toEqual([
      { step_id: 'CompileST', attempt: 1, status: 'SUCCEEDED' },
      { step_id: 'ApplyPatchST', attempt: 1, status: 'SUCCEEDED' },
      { step_id: 'DecideST', attempt: 1, status: 'SUCCEEDED' },
      { step_id: 'ExecuteST', attempt: 1, status: 'FAILED' },
    ]);
    expect(await h.db.query(`SELECT idx FROM runs.artifacts WHERE run_id = $1`, [wid])).toEqual([{ idx: 0 }]);
    expect(calls.filter((c) => c.path === '/run' && c.body.runId === wid).map((c) => c.body.idx)).toEqual([0, 1, 1]);
  });
});
