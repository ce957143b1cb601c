import { Stack, type StackService } from '../../../tools/test-support/stack';
import { ChaosClient, StatusTally } from '../support/chaos-client';
import { inFlight } from '../support/faults';
import { Rng, sleep } from '../support/prng';
import { reportFigures } from '../support/report';
import { SqlWatcher } from '../support/sql-watcher';
import { verifyOutcome } from '../support/verify';
import { ChaosWorkload } from '../support/workload';

const PAUSE_MS = Number(process.env.CHAOS_PAUSE_MS ?? 40_000);

/**
 * A frozen process (SIGSTOP: a long GC pause, a suspended VM) that wakes up after its messages were
 * redelivered to the other replica (pause > ack_wait of 30 s): both replicas then hold the same
 * message at once, and the zombie resumes in the middle of its work. The inbox and the row locks
 * must keep every effect single. Split lane: two replicas of runs, gates and escalation.
 */
describe('pause one replica of each service past ack_wait (long chaos)', () => {
  const rng = Rng.fromEnv();
  const tally = new StatusTally();
  let stack: Stack;
  let watcher: SqlWatcher;

  beforeAll(async () => {
    stack = await Stack.start({
      name: 'chaos-pause',
      replicas: { runs: 2, gates: 2, escalation: 2 },
      env: { HITL_GATE_TIMEOUT_S: '25', SBX_MOCK_DELAY_MS: '300', RPC_TIMEOUT_MS: '3000', DB_POOL_MAX: '4' },
    });
    watcher = new SqlWatcher(stack.db);
    watcher.start();
  }, 180_000);

  afterAll(async () => {
    watcher?.stop();
    await stack?.stop();
  }, 60_000);

  it('keeps every effect single when a frozen replica wakes up', async () => {
    const workload = new ChaosWorkload(new ChaosClient(stack.gatewayUrls(), rng, tally), watcher, rng);
    const plans = Array.from({ length: 30 }, () =>
      workload.plan({ timeout: 0.2, maxReplyDelayMs: 3000, steps: [4, 8] }),
    );
    const driving = Promise.all(
      plans.map(async (plan, i) => {
        await sleep(i * 120);
        return workload.drive(plan);
      }),
    );
    await sleep(rng.int(2000, 3500));
    const frozen: StackService[] = ['runs', 'gates', 'escalation'];
    const which = frozen.map((s) => [s, rng.int(0, 1)] as const);
    const before = await inFlight(stack);
    for (const [s, i] of which) stack.signal(s, i, 'SIGSTOP');
    await sleep(PAUSE_MS);
    for (const [s, i] of which) stack.signal(s, i, 'SIGCONT');
    const records = await driving;
    // A paused escalation replica delays the disarm of gates answered in time past their deadline:
    // the known bug "escalation for a gate answered in time" (docs/reliability.md) is listed, not failed.
    const verdict = await verifyOutcome(stack, watcher, records, tally, {
      settleMs: 120_000,
      tolerateLateDisarm: true,
    });
    reportFigures('pause', {
      seed: rng.seed,
      paused: which.map(([s, i]) => `${s}#${i}`),
      pauseMs: PAUSE_MS,
      inFlightAtPause: before,
      knownBugs: verdict.knownBugs,
      ...verdict.figures,
      counters: workload.counters,
    });
    expect(workload.anomalies).toEqual([]);
    expect(verdict.problems).toEqual([]);
  }, 400_000);
});
