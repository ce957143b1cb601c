import { Stack, type StackService } from '../../tools/test-support/stack';
import { ChaosClient, StatusTally } from './support/chaos-client';
import { FaultLog } from './support/faults';
import { Rng, sleep } from './support/prng';
import { reportFigures } from './support/report';
import { SqlWatcher } from './support/sql-watcher';
import { verifyOutcome } from './support/verify';
import { ChaosWorkload, type RunRecord } from './support/workload';

/**
 * DESIGN section 6, restart safety: `kill -9` each service at a random moment while runs wait at
 * gates, execute child tasks and receive replies (with identical copies, drifts and late replies);
 * restart it; then every 200'd reply is in the ledger once, every run ends as its human decided,
 * and nothing is duplicated, lost, dead-lettered or left unpublished. Clients retry connection
 * errors and 503s with the same dedupeKey: that is the contract. CHAOS_SEED replays a run.
 */
describe('kill -9 and recover, per service (chaos)', () => {
  const rng = Rng.fromEnv();
  const faults = new FaultLog();
  let stack: Stack;
  let watcher: SqlWatcher;

  beforeAll(async () => {
    process.stdout.write(`[chaos] kill-recover seed ${rng.seed} (CHAOS_SEED=${rng.seed} replays it)\n`);
    stack = await Stack.start({
      name: 'chaos-kill',
      env: { SBX_MOCK_DELAY_MS: '200', RPC_TIMEOUT_MS: '3000' },
    });
    watcher = new SqlWatcher(stack.db);
    watcher.start();
  }, 120_000);

  afterAll(async () => {
    watcher?.stop();
    if (faults.records.length) process.stdout.write(`[chaos] faults injected:\n${faults.summary()}\n`);
    await stack?.stop();
  }, 60_000);

  const services: StackService[] = ['gateway', 'runs', 'gates', 'escalation'];

  it.each(services)(
    'kill -9 %s mid-traffic, restart: replies exactly once, runs end as decided',
    async (service) => {
      const tally = new StatusTally();
      const workload = new ChaosWorkload(new ChaosClient(stack.gatewayUrls(), rng, tally), watcher, rng);
      const plans = Array.from({ length: 10 }, () => workload.plan({ maxReplyDelayMs: 4000, steps: [3, 6] }));
      const driving = Promise.all(
        plans.map(async (plan, i) => {
          await sleep(i * 80);
          return workload.drive(plan);
        }),
      );
      // A random moment once traffic is flowing: some gates answered (runs executing), some still waiting.
      await watcher
        .waitFor(
          () => {
            const states = workload.runs.map((r) => watcher.gateState(r.wid));
            return (
              states.filter((s) => s && s !== 'PENDING').length >= 2 &&
              states.filter((s) => s === 'PENDING').length >= 2
            );
          },
          8_000,
          'a mix of waiting and answered gates',
        )
        .catch(() => undefined);
      await sleep(rng.int(0, 600));
      await faults.killService(stack, service, 0, rng.int(300, 1500));
      const records: RunRecord[] = await driving;

      const verdict = await verifyOutcome(stack, watcher, records, tally, { settleMs: 60_000 });
      reportFigures(`kill-recover/${service}`, {
        seed: rng.seed,
        fault: faults.records.at(-1),
        ...verdict.figures,
        counters: workload.counters,
      });
      expect(workload.anomalies).toEqual([]);
      expect(verdict.problems).toEqual([]);
      expect(verdict.oracle.ok).toBe(true);
    },
    150_000,
  );
});

/**
 * Restart safety of waiting: every service stopped (kill -9) while gates are PENDING, deadlines passing
 * while nothing runs; started again: no duplicate prompt, each overdue deadline fires once and soon,
 * a deadline still ahead fires on time (never early), replies recorded before the stop stay recorded.
 */
describe('stop everything while gates wait (chaos)', () => {
  const rng = Rng.fromEnv();
  const tally = new StatusTally();
  const TIMEOUT_S = 8;
  let stack: Stack;
  let watcher: SqlWatcher;
  let workload: ChaosWorkload;

  beforeAll(async () => {
    stack = await Stack.start({
      name: 'chaos-waiting',
      env: { HITL_GATE_TIMEOUT_S: String(TIMEOUT_S), SBX_MOCK_DELAY_MS: '50' },
    });
    watcher = new SqlWatcher(stack.db);
    watcher.start();
    workload = new ChaosWorkload(new ChaosClient(stack.gatewayUrls(), rng, tally), watcher, rng);
  }, 120_000);

  afterAll(async () => {
    watcher?.stop();
    await stack?.stop();
  }, 60_000);

  it('keeps prompts single and honours every deadline across a full stop', async () => {
    const base = {
      surface: 'rest' as const,
      duplicates: 1,
      drift: false,
      late: false,
      replyDelayMs: 0,
      steps: 3,
      concurrency: 2,
      partition: 'tenant-a',
    };
    const waiting = await Promise.all(
      Array.from({ length: 4 }, () => workload.start({ ...base, decision: 'timeout' })),
    );
    const answered = await Promise.all(
      (['approve', 'approve', 'reject'] as const).map((decision) => workload.start({ ...base, decision })),
    );
    await Promise.all([...waiting, ...answered].map((r) => watcher.waitGate(r.wid, 30_000)));
    await Promise.all(answered.map((r) => workload.answer(r)));

    await stack.stopServices('SIGKILL');
    const stoppedAt = Date.now();
    const pendingWhileDown = await stack.db.query<{ n: number; last_deadline: Date }>(
      `SELECT count(*)::int AS n, max(deadline_at) AS last_deadline FROM gates.gates WHERE state = 'PENDING' AND workflow_id = ANY($1::uuid[])`,
      [waiting.map((r) => r.wid)],
    );
    expect(pendingWhileDown[0].n).toBe(4);
    // Let every waiting gate's deadline pass while no process runs.
    await sleep(Math.max(0, new Date(pendingWhileDown[0].last_deadline).getTime() + 1000 - Date.now()));
    expect(
      await stack.db.query(
        `SELECT count(*)::int AS n FROM gates.gates WHERE state <> 'PENDING' AND workflow_id = ANY($1::uuid[])`,
        [waiting.map((r) => r.wid)],
      ),
    ).toEqual([{ n: 0 }]);
    await stack.startServices();
    const readyAt = Date.now();

    // New gates after the restart: one waits out its deadline, one is answered.
    const afterTimeout = await workload.start({ ...base, decision: 'timeout' });
    const afterAnswered = await workload.start({ ...base, decision: 'approve' });
    await Promise.all([workload.answer(afterTimeout), workload.answer(afterAnswered)]);

    const all = [...waiting, ...answered, afterTimeout, afterAnswered];
    // Gates answered just before the stop may not be disarmed yet when everything dies; their deadline
    // then passes while escalation is down: the known bug "escalation for a gate answered in time"
    // (docs/reliability.md, strict in e2e/chaos/long/late-disarm) is listed in the figures, not failed.
    const verdict = await verifyOutcome(stack, watcher, all, tally, { settleMs: 60_000, tolerateLateDisarm: true });
    await workload.replyAfterTimeout(waiting[0]);

    const timing = await stack.db.query<{ wid: string; deadline_at: Date; closed_at: Date }>(
      `SELECT workflow_id::text AS wid, deadline_at, closed_at FROM gates.gates WHERE state = 'TIMED_OUT' AND workflow_id = ANY($1::uuid[])`,
      [all.map((r) => r.wid)],
    );
    expect(timing).toHaveLength(5);
    const lateness: Record<string, number> = {};
    for (const t of timing) {
      const deadline = new Date(t.deadline_at).getTime();
      const closed = new Date(t.closed_at).getTime();
      expect(closed).toBeGreaterThanOrEqual(deadline); // never early
      const wasOverdue = deadline < readyAt;
      // Overdue while down: fired soon after the restart; still ahead: fired on time.
      const late = closed - Math.max(deadline, wasOverdue ? readyAt : deadline);
      lateness[t.wid] = late;
      expect(late).toBeLessThan(10_000);
    }
    reportFigures('kill-recover/stop-all-while-waiting', {
      seed: rng.seed,
      downMs: readyAt - stoppedAt,
      firingLatenessMs: Object.values(lateness),
      knownBugs: verdict.knownBugs,
      ...verdict.figures,
    });
    expect(workload.anomalies).toEqual([]);
    expect(verdict.problems).toEqual([]);
  }, 150_000);

  it('a reply accepted while escalation is down stands when the deadline passes before escalation is back', async () => {
    const base = {
      surface: 'rest' as const,
      duplicates: 0,
      drift: false,
      late: false,
      replyDelayMs: 0,
      steps: 2,
      concurrency: 1,
      partition: 'tenant-b',
    };
    const recs = await Promise.all([1, 2].map(() => workload.start({ ...base, decision: 'approve' })));
    await Promise.all(recs.map((r) => watcher.waitGate(r.wid, 30_000)));
    const wids = recs.map((r) => r.wid);
    for (const until = Date.now() + 20_000; ;) {
      const [{ n }] = await stack.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM escalation.timers WHERE status = 'ARMED' AND workflow_id = ANY($1::uuid[])`,
        [wids],
      );
      if (n === 2) break;
      if (Date.now() > until) throw new Error('timers never armed');
      await sleep(100);
    }
    await stack.kill('escalation', 0, 'SIGKILL');
    await Promise.all(recs.map((r) => workload.answer(r)));
    const [{ deadline }] = await stack.db.query<{ deadline: Date }>(
      `SELECT max(deadline_at) AS deadline FROM gates.gates WHERE workflow_id = ANY($1::uuid[])`,
      [wids],
    );
    await sleep(Math.max(0, new Date(deadline).getTime() + 1000 - Date.now()));
    await stack.restartAndWait('escalation', 0);
    const verdict = await verifyOutcome(stack, watcher, recs, tally, { settleMs: 60_000, tolerateLateDisarm: true });
    // What the contract needs from the user's side holds: the human's answer stands.
    expect(workload.anomalies).toEqual([]);
    expect(verdict.problems).toEqual([]);
    // The escalation side of this case is the known bug "escalation for a gate answered in time"
    // (docs/reliability.md; asserted strictly in e2e/chaos/long/late-disarm): listed here, not failed.
    const lateDisarm = await stack.db.query<{ state: string; answered_in_time: boolean }>(
      `SELECT g.workflow_id::text AS wid, g.state, g.closed_at < g.deadline_at AS answered_in_time, t.status AS timer, e.status AS escalation
       FROM gates.gates g JOIN escalation.timers t USING (workflow_id, gate_key)
       LEFT JOIN escalation.escalations e USING (workflow_id, gate_key) WHERE g.workflow_id = ANY($1::uuid[])`,
      [wids],
    );
    reportFigures('kill-recover/late-disarm', { rows: lateDisarm, knownBugs: verdict.knownBugs });
    expect(lateDisarm.map((r) => [r.state, r.answered_in_time])).toEqual([
      ['RECEIVED', true],
      ['RECEIVED', true],
    ]);
  }, 120_000);
});
