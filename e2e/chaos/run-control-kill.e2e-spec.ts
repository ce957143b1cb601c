import { Stack } from '../../tools/test-support/stack';
import { Api, eventually } from '../support/http';
import { planGateOpen, runReaches, startRun } from '../support/scenario';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const STEPS = 30;
/** The runs that get cancelled are long (300 tasks one at a time: a minute), so none ends before its cancel. */
const LONG_STEPS = 300;

/**
 * DESIGN section 12 under crashes: `kill -9` the runs service while pauses and cancels are in flight.
 * Clients retry 503s and connection errors (the actions are idempotent). Afterwards every pause held,
 * every resumed run finished its work exactly once, and nothing started after a committed cancel.
 */
describe('kill -9 the runs service while pausing and cancelling (chaos)', () => {
  let stack: Stack;
  let api: Api;

  beforeAll(async () => {
    stack = await Stack.start({ name: 'chaos-run-control', env: { SBX_MOCK_DELAY_MS: '200', RPC_TIMEOUT_MS: '2000' } });
    api = new Api(stack.baseUrl);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  /** Retries until the gateway answers something other than 503 or a broken connection. */
  async function untilAnswered(wid: string, action: string): Promise<any> {
    return eventually(
      async () => {
        const res = await api.post(`/api/runs/${wid}/${action}`, { reason: `chaos ${action}` }).catch(() => undefined);
        if (!res || res.status === 503) return undefined;
        expect(res.status).toBe(200);
        return res.body;
      },
      90_000,
      `${action} of ${wid}`,
    );
  }

  /** Fires the actions, kills runs a moment later, restarts it, and waits for every answer. */
  async function withRunsKilled(actions: [string, string][]): Promise<void> {
    const answered = Promise.all(actions.map(([wid, action]) => untilAnswered(wid, action)));
    await sleep(5 + Math.floor(Math.random() * 40));
    await stack.kill('runs');
    await sleep(500);
    await stack.restartAndWait('runs');
    await answered;
  }

  const artifactsOf = async (runs: string[]) => {
    const counts: number[] = [];
    for (const wid of runs) counts.push(await artifacts(wid));
    return counts;
  };
  const artifacts = async (wid: string) =>
    (await stack.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM runs.artifacts WHERE run_id = $1`, [wid]))[0]
      .n;

  it('holds paused runs, resumes them exactly once, and runs nothing after a committed cancel', async () => {
    const wids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const wid = await startRun(api, {
        queuePartitionKey: `tenant-${i}`,
        workload:
          i < 3
            ? { concurrency: 2, steps: STEPS, sandboxMinutes: 1 }
            : { concurrency: 1, steps: LONG_STEPS, sandboxMinutes: 1 },
      });
      await planGateOpen(api, wid);
      const reply = await api.post(`/api/runs/${wid}/gates/approve-plan/reply`, {
        payload: { choice: 'yes' },
        dedupeKey: `chaos-${wid}`,
      });
      expect(reply.status).toBe(200);
      wids.push(wid);
    }
    for (const wid of wids) await eventually(async () => ((await artifacts(wid)) >= 2 ? true : undefined), 30_000);

    const [p0, p1, p2, c3, c4, c5] = wids;
    await withRunsKilled([
      [p0, 'pause'],
      [p1, 'pause'],
      [p2, 'pause'],
    ]);
    for (const wid of [p0, p1, p2]) expect((await api.get(`/api/runs/${wid}`)).body.paused).toBe(true);
    // Redelivered tasks of paused runs are held, not run: the counts settle and stay.
    await sleep(2000);
    const held = await artifactsOf([p0, p1, p2]);
    await sleep(1500);
    expect(await artifactsOf([p0, p1, p2])).toEqual(held);
    for (const n of held) expect(n).toBeLessThan(STEPS);

    await withRunsKilled([
      [p0, 'resume'],
      [p1, 'resume'],
      [p2, 'cancel'],
      [c3, 'cancel'],
      [c4, 'cancel'],
      [c5, 'cancel'],
    ]);

    for (const wid of [p0, p1]) {
      await runReaches(api, wid, 'SUCCESS', 90_000);
      expect(await artifacts(wid)).toBe(STEPS);
    }
    await sleep(2000);
    for (const wid of [p2, c3, c4, c5]) {
      expect((await api.get(`/api/runs/${wid}`)).body.status).toBe('CANCELLED');
      const [after] = await stack.db.query<{ steps: number; artifacts: number; cancels: number }>(
        `WITH c AS (SELECT created_at FROM runs.run_control WHERE run_id = $1 AND action = 'cancel')
         SELECT (SELECT count(*)::int FROM runs.run_steps s, c WHERE s.run_id = $1 AND s.started_at > c.created_at) AS steps,
                (SELECT count(*)::int FROM runs.artifacts a, c WHERE a.run_id = $1 AND a.created_at > c.created_at) AS artifacts,
                (SELECT count(*)::int FROM c) AS cancels`,
        [wid],
      );
      expect(after).toEqual({ steps: 0, artifacts: 0, cancels: 1 });
      expect(await artifacts(wid)).toBeLessThan(wid === p2 ? STEPS : LONG_STEPS);
    }
    // Each action is recorded once however often it was retried; nothing stays held.
    const trail = await stack.db.query<{ run_id: string; action: string; n: number }>(
      `SELECT run_id, action, count(*)::int AS n FROM runs.run_control GROUP BY run_id, action`,
    );
    expect(trail.every((t) => t.n === 1)).toBe(true);
    expect(trail).toHaveLength(3 + 2 + 4);
    const [left] = await stack.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM runs.held_messages`);
    expect(left.n).toBe(0);
    // No duplicate steps or artifacts (the oracle's sets) and no gate left pending on a finished run.
    const [dups] = await stack.db.query<{ steps: number; artifacts: number; pending: number }>(
      `SELECT (SELECT count(*)::int FROM (SELECT 1 FROM runs.run_steps GROUP BY run_id, step_id, attempt HAVING count(*) > 1) s) AS steps,
              (SELECT count(*)::int FROM (SELECT 1 FROM runs.artifacts GROUP BY run_id, step_id, task_key, attempt, idx HAVING count(*) > 1) a) AS artifacts,
              (SELECT count(*)::int FROM gates.gates WHERE state = 'PENDING') AS pending`,
    );
    expect(dups).toEqual({ steps: 0, artifacts: 0, pending: 0 });
  }, 300_000);
});
