import { Stack, type StackService } from '../tools/test-support/stack';
import { Api, eventually } from './support/http';
import { planGateOpen, runReaches, startRun } from './support/scenario';

const BACKENDS: StackService[] = ['runs', 'gates', 'escalation'];
const GRACE_MS = 10_000;
const SANDBOX_MS = 1_500;

async function probe(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

/**
 * What a kubelet sees: /health/live and /health/ready on every process (a backend's admin port, the
 * gateway's HTTP port), readiness down while Postgres is away and from the moment SIGTERM arrives,
 * and a SIGTERM during work that settles what is in flight and exits within SHUTDOWN_GRACE_MS.
 */
describe('health probes and graceful drain (e2e)', () => {
  let stack: Stack;
  let api: Api;

  beforeAll(async () => {
    stack = await Stack.start({
      name: 'health_probes',
      privatePostgres: true,
      env: { SHUTDOWN_GRACE_MS: String(GRACE_MS), SBX_MOCK_DELAY_MS: String(SANDBOX_MS) },
    });
    api = new Api(stack.baseUrl);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  it('answers live and ready on every process, with each dependency named', async () => {
    for (const service of BACKENDS) {
      const base = stack.adminUrl(service);
      expect(await probe(`${base}/health/live`)).toEqual({ status: 200, body: { ok: true } });
      const ready = await eventually(async () => {
        const r = await probe(`${base}/health/ready`);
        return r.status === 200 ? r : undefined;
      }, 10_000);
      expect(ready.body).toMatchObject({
        ok: true,
        status: 'ok',
        info: {
          postgres: { status: 'up' },
          nats: { status: 'up' },
          consumers: { status: 'up', draining: false, started: true },
        },
      });
      expect(ready.body.info.consumers.consumers.length).toBeGreaterThan(0);
      const metrics = await fetch(`${base}/metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toContain(`service="${service}"`);
      const unknown = await probe(`${base}/health/nope`);
      expect(unknown).toMatchObject({ status: 404, body: { error: 'ROUTE_NOT_FOUND' } });
    }
    const gateway = stack.adminUrl('gateway');
    expect(await probe(`${gateway}/health/live`)).toEqual({ status: 200, body: { ok: true } });
    expect(await probe(`${gateway}/health/ready`)).toMatchObject({ status: 200, body: { ok: true } });
  });

  it('is not ready while Postgres is unreachable, stays live, stops within the grace period, and is ready again once it is back', async () => {
    await stack.postgres!.stop('SIGQUIT');
    try {
      for (const service of BACKENDS) {
        const base = stack.adminUrl(service);
        const down = await eventually(async () => {
          const r = await probe(`${base}/health/ready`);
          return r.status === 503 ? r : undefined;
        }, 10_000);
        expect(down.body).toMatchObject({
          ok: false,
          error: 'SERVICE_UNAVAILABLE',
          details: { postgres: { status: 'down' }, nats: { status: 'up' } },
        });
        expect(await probe(`${base}/health/live`)).toEqual({ status: 200, body: { ok: true } });
      }
      // Stopping without a database still ends within the grace period.
      const child = stack.processes.find((p) => p.service === 'escalation')!.child!;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const sentAt = Date.now();
      stack.signal('escalation', 0, 'SIGTERM');
      await exited;
      expect(Date.now() - sentAt).toBeLessThan(GRACE_MS + 1_000);
    } finally {
      await stack.postgres!.restart();
    }
    await stack.restartAndWait('escalation');
    for (const service of BACKENDS) {
      await eventually(
        async () => ((await probe(`${stack.adminUrl(service)}/health/ready`)).status === 200 ? true : undefined),
        30_000,
      );
    }
  }, 90_000);

  it('turns unready at SIGTERM, settles the messages in flight, exits within the grace period and loses nothing', async () => {
    const steps = 6;
    const wid = await startRun(api, { workload: { concurrency: steps, steps, sandboxMinutes: 1 } });
    await planGateOpen(api, wid);
    const reply = await api.post(`/api/runs/${wid}/gates/approve-plan/reply`, {
      payload: { choice: 'yes' },
      dedupeKey: `drain-${wid}`,
    });
    expect(reply.status).toBe(200);

    // The child tasks are in the sandbox (SANDBOX_MS each), delivered and not yet acknowledged.
    const inFlight = await eventually(async () => {
      const sbx = (await stack.consumerStates()).find((c) => c.durable === 'runs-sbx-q')!;
      return sbx.numAckPending >= steps ? sbx.numAckPending : undefined;
    }, 20_000);
    const before = await stack.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM runs.artifacts WHERE run_id = $1 AND step_id = 'ExecuteST'`,
      [wid],
    );
    expect(Number(before[0].n)).toBe(0);

    const child = stack.processes.find((p) => p.service === 'runs' && p.index === 0)!.child!;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const sentAt = Date.now();
    stack.signal('runs', 0, 'SIGTERM');

    // Readiness turns 503 on the signal; the consumers' detail says draining a moment later.
    const draining = await eventually(async () => {
      const r = await probe(`${stack.adminUrl('runs')}/health/ready`);
      return r.status === 503 && r.body?.details?.consumers?.draining === true ? r : undefined;
    }, 2_000);
    expect(draining.body.details.consumers).toMatchObject({ status: 'down', draining: true });
    expect(stack.isAlive('runs')).toBe(true);

    const exit = await exited;
    const tookMs = Date.now() - sentAt;
    expect(tookMs).toBeLessThan(GRACE_MS);
    // Nest re-raises the signal once shutdown is complete; the grace watchdog would exit with 1.
    expect(exit).toEqual({ code: null, signal: 'SIGTERM' });
    expect(stack.log('runs')).toContain('consumers drained: in-flight messages settled');

    // Every message that was in flight was settled before the process went: its artifact is
    // committed and the server holds nothing unacknowledged for the runs consumers.
    const after = await stack.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM runs.artifacts WHERE run_id = $1 AND step_id = 'ExecuteST'`,
      [wid],
    );
    expect(Number(after[0].n)).toBe(inFlight);
    for (const c of (await stack.consumerStates()).filter((s) => s.durable.startsWith('runs-'))) {
      expect({ durable: c.durable, ackPending: c.numAckPending }).toEqual({ durable: c.durable, ackPending: 0 });
    }

    await stack.restartAndWait('runs');
    const done = await runReaches(api, wid, 'SUCCESS', 60_000);
    expect(done.status).toBe('SUCCESS');
    const rows = await stack.db.query<{ n: string; distinct_tasks: string }>(
      `SELECT count(*) AS n, count(DISTINCT (task_key, idx)) AS distinct_tasks
         FROM runs.artifacts WHERE run_id = $1 AND step_id = 'ExecuteST'`,
      [wid],
    );
    expect(rows[0]).toEqual({ n: String(steps), distinct_tasks: String(steps) });
  }, 120_000);
});
