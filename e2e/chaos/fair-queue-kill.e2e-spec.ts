import { Stack } from '../../tools/test-support/stack';
import { runOracle } from '../../tools/oracle/run-oracle';
import { Api } from '../support/http';
import { startApproved, until, waitFinished } from '../support/fairness';
import { FaultLog } from './support/faults';

/**
 * DESIGN sections 2 and 6 together: kill -9 each runs replica in turn while a flood of child tasks
 * waits in the fair queues (some released, most waiting) beside small partitions' runs. Afterwards
 * every run ends SUCCESS with exactly one artifact per child task, nothing dead-lettered or left
 * unpublished, the work queue empty and the oracle clean: the window's slots and the waiting work
 * live in Postgres, released messages in JetStream, so a kill loses nothing and doubles nothing.
 */
describe('fair queues under kill -9 of the runs service (chaos)', () => {
  const faults = new FaultLog();
  let stack: Stack;
  let api: Api;

  beforeAll(async () => {
    stack = await Stack.start({
      name: 'chaos-fair',
      replicas: { runs: 2 },
      env: { SBX_MOCK_DELAY_MS: '50', RPC_TIMEOUT_MS: '3000' },
    });
    api = new Api(stack.baseUrl);
  }, 120_000);

  afterAll(async () => {
    if (faults.records.length) process.stdout.write(`[chaos] faults injected:\n${faults.summary()}\n`);
    await stack?.stop();
  }, 60_000);

  const workQueue = async () =>
    (
      await stack.db.query<{ waiting: number; released: number }>(
        `SELECT count(*) FILTER (WHERE released_at IS NULL)::int AS waiting,
                count(*) FILTER (WHERE released_at IS NOT NULL)::int AS released FROM runs.work_queue`,
      )
    )[0];

  it('kill -9 of each runs replica mid-flood: nothing lost, nothing doubled', async () => {
    const flood = { concurrency: 64, steps: 250, sandboxMinutes: 1 };
    const small = { concurrency: 2, steps: 5, sandboxMinutes: 1 };
    const started = Promise.all([
      ...Array.from({ length: 10 }, () => startApproved(api, 'flood', flood)),
      ...Array.from({ length: 10 }, (_, i) => startApproved(api, `small-${i}`, small)),
    ]);
    await until(
      async () => {
        const q = await workQueue();
        return q.waiting >= 200 && q.released > 0 ? q : undefined;
      },
      60_000,
      'work waiting and in flight',
      10,
    );
    const atFirstKill = await workQueue();
    await faults.killService(stack, 'runs', 0, 500);
    await until(
      async () => {
        const q = await workQueue();
        return q.waiting > 0 && q.released > 0 ? true : undefined;
      },
      30_000,
      'work waiting and in flight again',
      10,
    );
    const atSecondKill = await workQueue();
    await faults.killService(stack, 'runs', 1, 500);
    const wids = await started;
    process.stdout.write(
      `[chaos] fair queues at the kills: ${JSON.stringify(atFirstKill)}, ${JSON.stringify(atSecondKill)}\n`,
    );

    // Deliveries held by a killed replica come back after the consumers' ack wait (30 s).
    const runs = await waitFinished(stack.db, wids, 150_000);
    expect(runs.filter((r) => r.status !== 'SUCCESS')).toEqual([]);

    const artifacts = await stack.db.query<{ run_id: string; n: number; tasks: number; expected: number }>(
      `SELECT r.id AS run_id, count(a.*)::int AS n, count(DISTINCT a.task_key)::int AS tasks, r.tasks_total AS expected
         FROM runs.runs r LEFT JOIN runs.artifacts a ON a.run_id = r.id
        WHERE r.id = ANY($1::uuid[]) GROUP BY r.id, r.tasks_total`,
      [wids],
    );
    expect(artifacts.filter((a) => a.n !== a.expected || a.tasks !== a.expected)).toEqual([]);
    expect(artifacts.reduce((s, a) => s + a.n, 0)).toBe(10 * 250 + 10 * 5);
    const [left] = await stack.db.query<{ work: number; dead: number; unpublished: number }>(
      `SELECT (SELECT count(*)::int FROM runs.work_queue) AS work,
              (SELECT count(*)::int FROM runs.dead_letters) AS dead,
              (SELECT count(*)::int FROM runs.outbox WHERE published_at IS NULL) AS unpublished`,
    );
    expect(left).toEqual({ work: 0, dead: 0, unpublished: 0 });
    const report = await runOracle(stack.db.url);
    expect(report.violations).toEqual(Object.fromEntries(Object.keys(report.violations).map((k) => [k, []])));
    expect(report.ok).toBe(true);
  }, 300_000);
});
