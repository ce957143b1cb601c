import { Client } from 'pg';
import { dispatchLockName } from '@gatehouse/messaging';
import { Stack } from '../tools/test-support/stack';
import { runOracle } from '../tools/oracle/run-oracle';
import { Api } from './support/http';
import {
  approveWhenOpen,
  median,
  startApproved,
  tasksLeft,
  until,
  waitFinished,
  type RunTiming,
} from './support/fairness';
import { startRun } from './support/scenario';

/**
 * DESIGN section 2, partition law: the partition key is the unit of fairness, one busy tenant never
 * starves another. The sandbox takes 100 ms a task; the stack runs with the shipped windows
 * (SBXQ_WINDOW 64, INTENTQ_WINDOW 256) and consumer concurrency (32).
 */
describe('partition fairness (e2e)', () => {
  const SMALL = { concurrency: 1, steps: 2, sandboxMinutes: 1 };
  /**
   * How much slower each small run may be beside the flood than alone (median of 3). Each of its two
   * child tasks waits behind at most a window of the flood's tasks (64, 32 at a time: about 2 task
   * times) plus the CPU the flood takes on a shared 2-core machine. Without fair queues the first
   * small run waited for the whole backlog: 8.3 s against 0.33 s alone (docs/performance.md).
   */
  const BOUND = 4;
  /** A single small run may also lose up to a second to the shared machine (a GC, another process). */
  const NOISE_S = 1;
  let stack: Stack;
  let api: Api;

  beforeAll(async () => {
    stack = await Stack.start({ name: 'fairness', env: { SBX_MOCK_DELAY_MS: '100' } });
    api = new Api(stack.baseUrl);
  }, 120_000);

  afterAll(async () => {
    if (!stack) return;
    const report = await runOracle(stack.db.url);
    await stack.stop();
    expect(report.violations).toEqual(Object.fromEntries(Object.keys(report.violations).map((k) => [k, []])));
    expect(report.ok).toBe(true);
  }, 60_000);

  /** Runs of SMALL in `partition`, one after another; their times from creation to SUCCESS. */
  async function smallRuns(partition: string, n: number): Promise<RunTiming[]> {
    const out: RunTiming[] = [];
    for (let i = 0; i < n; i++) {
      const wid = await startApproved(api, partition, SMALL);
      out.push(...(await waitFinished(stack.db, [wid], 60_000)));
    }
    return out;
  }

  it('finishes a small run beside a flood of thousands of child tasks within a few times its time alone', async () => {
    const alone = await smallRuns('small-alone', 3);
    expect(alone.every((r) => r.status === 'SUCCESS')).toBe(true);

    // The flood: 20 runs of 150 child tasks, 64 at a time each: 3,000 tasks, 1,280 queued at once.
    const flood = await Promise.all(
      Array.from({ length: 20 }, () => startApproved(api, 'flood', { concurrency: 64, steps: 150, sandboxMinutes: 1 })),
    );
    await until(
      async () => {
        const [{ n }] = await stack.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM runs.work_queue WHERE queue = 'sbxQ' AND partition_key = 'flood' AND released_at IS NULL`,
        );
        return n >= 1000 ? n : undefined;
      },
      60_000,
      'the flood to queue 1,000 child tasks',
    );
    const beside = await smallRuns('small-beside', 3);
    const floodLeft = await tasksLeft(stack.db, 'flood');

    const aloneS = median(alone.map((r) => r.seconds));
    const besideS = median(beside.map((r) => r.seconds));
    process.stdout.write(
      `[fairness] small run alone ${alone.map((r) => r.seconds.toFixed(2)).join(', ')} s (median ${aloneS.toFixed(2)}); ` +
        `beside the flood ${beside.map((r) => r.seconds.toFixed(2)).join(', ')} s (median ${besideS.toFixed(2)}, ` +
        `${(besideS / aloneS).toFixed(1)}x); flood tasks still to do when the last small run ended: ${floodLeft}\n`,
    );
    expect(beside.every((r) => r.status === 'SUCCESS')).toBe(true);
    // The small runs did not wait for the flood's backlog: most of it was still there when they ended.
    expect(floodLeft).toBeGreaterThan(1000);
    // The bound holds for the median; any single run stays within it plus the machine's noise.
    expect(besideS).toBeLessThanOrEqual(BOUND * aloneS);
    for (const r of beside) expect(r.seconds).toBeLessThanOrEqual(BOUND * aloneS + NOISE_S);

    const ended = await waitFinished(stack.db, flood, 180_000);
    expect(ended.every((r) => r.status === 'SUCCESS')).toBe(true);
    const [artifacts] = await stack.db.query<{ n: number; distinct_tasks: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT (run_id, task_key))::int AS distinct_tasks
         FROM runs.artifacts WHERE run_id = ANY($1::uuid[])`,
      [flood],
    );
    expect(artifacts).toEqual({ n: 3000, distinct_tasks: 3000 });
    // Nothing left behind per partition once the work is done.
    await until(
      async () => {
        const [{ n }] = await stack.db.query<{ n: number }>('SELECT count(*)::int AS n FROM runs.work_queue');
        return n === 0 ? true : undefined;
      },
      10_000,
      'the work queue to empty',
    );
  }, 300_000);

  it('finishes 100 partitions of mixed sizes in the order of their own work, not of their arrival', async () => {
    // 25 partitions each of 64, 24, 8 and 2 child tasks (all queued at once), the largest arriving first.
    const sizes = [64, 24, 8, 2];
    const plan = sizes.flatMap((steps) =>
      Array.from({ length: 25 }, (_, i) => ({ partition: `mixed-${steps}-${i}`, steps })),
    );
    const wids: string[] = [];
    for (const p of plan) {
      wids.push(
        await startRun(api, {
          queuePartitionKey: p.partition,
          workload: { concurrency: p.steps, steps: p.steps, sandboxMinutes: 1 },
        }),
      );
    }
    // Every plan gate open first; then sbxQ's dispatch is held (the test holds its advisory lock, as a
    // replica in a dispatch round would) while all are approved in arrival order, largest first, until
    // every fan-out is queued: all the work arrives at once, in arrival order, and no partition has a
    // head start in an idle system (the window is work-conserving: alone, one partition may use all of it).
    await until(
      async () => {
        const [{ n }] = await stack.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM gates.gates WHERE state = 'PENDING' AND workflow_id = ANY($1::uuid[])`,
          [wids],
        );
        return n === wids.length ? true : undefined;
      },
      60_000,
      'every plan gate to open',
      50,
    );
    const holder = new Client({ connectionString: stack.db.url });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [dispatchLockName('runs', 'sbxQ')]);
      for (const wid of wids) await approveWhenOpen(api, wid);
      const total = plan.reduce((n, p) => n + p.steps, 0);
      await until(
        async () => {
          const [{ n }] = await stack.db.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM runs.work_queue WHERE queue = 'sbxQ' AND released_at IS NULL`,
          );
          return n === total ? true : undefined;
        },
        120_000,
        `all ${total} child tasks to be queued`,
        50,
      );
    } finally {
      await holder.end();
    }
    const runs = await waitFinished(stack.db, wids, 180_000);
    expect(runs.every((r) => r.status === 'SUCCESS')).toBe(true);

    const finishOf = new Map(runs.map((r) => [r.partition, r.finishedAt.getTime()]));
    const bySize = sizes.map((steps) => plan.filter((p) => p.steps === steps).map((p) => finishOf.get(p.partition)!));
    const first = Math.min(...runs.map((r) => r.finishedAt.getTime()));
    process.stdout.write(
      `[fairness] 100 partitions: finish after the first, by size (min / median / max s): ${sizes
        .map((s, i) => {
          const t = bySize[i].map((x) => (x - first) / 1000);
          return `${s}: ${Math.min(...t).toFixed(2)} / ${median(t).toFixed(2)} / ${Math.max(...t).toFixed(2)}`;
        })
        .join('; ')}\n`,
    );
    // Sizes are in falling order: each size's median ends after the next smaller size's median, and
    // every 2-task partition ends before any 64-task one, although the 64s arrived first. (Under
    // arrival order the 2s ended last: docs/performance.md.)
    for (let i = 0; i + 1 < sizes.length; i++) expect(median(bySize[i])).toBeGreaterThan(median(bySize[i + 1]));
    expect(Math.max(...bySize[3])).toBeLessThan(Math.min(...bySize[0]));
    // Rank correlation of work and finish over all 100 partitions.
    expect(
      spearman(
        plan.map((p) => p.steps),
        plan.map((p) => finishOf.get(p.partition)!),
      ),
    ).toBeGreaterThan(0.8);
  }, 300_000);
});

/** Spearman's rank correlation (average ranks for ties). */
function spearman(xs: number[], ys: number[]): number {
  const rank = (v: number[]) => {
    const order = v.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
    const r = new Array<number>(v.length);
    for (let i = 0; i < order.length;) {
      let j = i;
      while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
      for (let k = i; k <= j; k++) r[order[k][1]] = (i + j) / 2;
      i = j + 1;
    }
    return r;
  };
  const rx = rank(xs);
  const ry = rank(ys);
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const mx = mean(rx);
  const my = mean(ry);
  let num = 0;
  let dx = 0;
  let dy = 0;
  for (let i = 0; i < rx.length; i++) {
    num += (rx[i] - mx) * (ry[i] - my);
    dx += (rx[i] - mx) ** 2;
    dy += (ry[i] - my) ** 2;
  }
  return num / Math.sqrt(dx * dy);
}
