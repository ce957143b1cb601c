import { Stack } from '../../tools/test-support/stack';
import { ChaosClient, StatusTally } from './support/chaos-client';
import { FaultLog } from './support/faults';
import { Rng, sleep } from './support/prng';
import { reportFigures } from './support/report';
import { SqlWatcher } from './support/sql-watcher';
import { verifyOutcome } from './support/verify';
import { ChaosWorkload } from './support/workload';

/**
 * DESIGN section 8, split lane: two gateways and two replicas each of runs, gates and escalation on
 * one Postgres and one NATS. Replies go to either gateway, the same reply to both at once; some gates
 * are left to time out so that both escalation replicas race for their timers; one gates replica is
 * killed mid-traffic. Afterwards: all runs terminal as decided, the oracle clean, every timer fired once.
 */
describe('split lane: 2 gateways, 2 replicas of each service (chaos)', () => {
  const rng = Rng.fromEnv();
  const tally = new StatusTally();
  const faults = new FaultLog();
  let stack: Stack;
  let watcher: SqlWatcher;

  beforeAll(async () => {
    process.stdout.write(`[chaos] split-lane seed ${rng.seed}\n`);
    stack = await Stack.start({
      name: 'chaos-split',
      gateways: 2,
      replicas: { runs: 2, gates: 2, escalation: 2 },
      env: { HITL_GATE_TIMEOUT_S: '10', SBX_MOCK_DELAY_MS: '100', RPC_TIMEOUT_MS: '3000', DB_POOL_MAX: '4' },
    });
    watcher = new SqlWatcher(stack.db);
    watcher.start();
  }, 180_000);

  afterAll(async () => {
    watcher?.stop();
    await stack?.stop();
  }, 60_000);

  it('spreads replies over both gateways, fires each timer once, survives losing a replica', async () => {
    const workload = new ChaosWorkload(new ChaosClient(stack.gatewayUrls(), rng, tally), watcher, rng);
    const plans = Array.from({ length: 24 }, () =>
      workload.plan({ timeout: 0.25, reject: 0.3, duplicate: 0.7, maxReplyDelayMs: 2000 }),
    );
    const driving = Promise.all(
      plans.map(async (plan, i) => {
        await sleep(i * 100);
        return workload.drive(plan);
      }),
    );
    await sleep(rng.int(1000, 2500));
    await faults.killService(stack, 'gates', rng.int(0, 1), rng.int(300, 1000));
    const records = await driving;
    const timedOut = records.filter((r) => r.plan.decision === 'timeout');
    const verdict = await verifyOutcome(stack, watcher, records, tally, { settleMs: 90_000 });
    for (const r of timedOut.slice(0, 3)) await workload.replyAfterTimeout(r);

    // Both gateways answered replies; identical copies landed on both at once.
    expect(Object.keys(tally.byGateway).sort()).toEqual(['0', '1']);
    const timers = await stack.db.query<{ n: number; fired: number; escalations: number }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE t.status = 'FIRED')::int AS fired,
              (SELECT count(*)::int FROM escalation.escalations) AS escalations
       FROM escalation.timers t`,
    );
    expect(timers[0]).toEqual({ n: records.length, fired: timedOut.length, escalations: timedOut.length });
    reportFigures('split-lane', {
      seed: rng.seed,
      faults: faults.records,
      timersFired: timers[0].fired,
      bothGatewayCopies: records.filter((r) => r.plan.duplicates > 0 && r.plan.surface !== 'jetstream').length,
      ...verdict.figures,
      counters: workload.counters,
    });
    expect(workload.anomalies).toEqual([]);
    expect(verdict.problems).toEqual([]);
  }, 240_000);
});
