import { Stack } from '../../../tools/test-support/stack';
import { ChaosClient, StatusTally } from '../support/chaos-client';
import { FaultLog } from '../support/faults';
import { Rng, sleep } from '../support/prng';
import { reportFigures } from '../support/report';
import { SqlWatcher } from '../support/sql-watcher';
import { verifyOutcome } from '../support/verify';
import { ChaosWorkload, HumanPublisher, type RunRecord } from '../support/workload';

const RUNS = Number(process.env.CHAOS_RUNS ?? 120);
const ARRIVAL_MS = Number(process.env.CHAOS_ARRIVAL_MS ?? 450);
/** Rounds of the fault schedule (each: every service, NATS and Postgres once, in random order). */
const ROUNDS = Number(process.env.CHAOS_ROUNDS ?? 1);
const MAX_DOWN_MS = Number(process.env.CHAOS_MAX_DOWN_MS ?? 3000);
/** Which faults a round injects (comma-separated; default all six). */
const FAULTS = (process.env.CHAOS_FAULTS ?? 'gateway,runs,gates,escalation,nats,postgres').split(',') as Fault[];

type Fault = 'gateway' | 'runs' | 'gates' | 'escalation' | 'nats' | 'postgres';

/**
 * Everything at once (npm run test:chaos; not in CI): a steady arrival of runs answered on all four
 * surfaces (REST, the legacy bridge, the external receiver, JetStream), with identical copies,
 * drifts, late replies and gates left to time out; meanwhile each service is killed with -9 in turn,
 * the private nats-server is killed and restarted on its store, and the private Postgres is killed
 * and restarted (crash recovery). Afterwards: every check of the kill-recover test, plus no message
 * pending or unacknowledged on any consumer; dead letters are listed.
 */
describe('full chaos (long)', () => {
  const rng = Rng.fromEnv();
  const tally = new StatusTally();
  const faults = new FaultLog();
  let stack: Stack;
  let watcher: SqlWatcher;
  let publisher: HumanPublisher;

  beforeAll(async () => {
    process.stdout.write(
      `[chaos] full-chaos seed ${rng.seed} runs ${RUNS} rounds ${ROUNDS} max down ${MAX_DOWN_MS} ms\n`,
    );
    stack = await Stack.start({
      name: 'chaos-full',
      privatePostgres: true,
      env: { HITL_GATE_TIMEOUT_S: '30', SBX_MOCK_DELAY_MS: '150', RPC_TIMEOUT_MS: '3000' },
    });
    watcher = new SqlWatcher(stack.db, 300);
    watcher.start();
    publisher = await HumanPublisher.connect(stack.nats.url);
  }, 120_000);

  afterAll(async () => {
    watcher?.stop();
    if (faults.records.length) process.stdout.write(`[chaos] faults injected:\n${faults.summary()}\n`);
    await publisher?.close().catch(() => undefined);
    await stack?.stop();
  }, 60_000);

  it('loses and duplicates nothing through kills of every process, NATS and Postgres', async () => {
    const workload = new ChaosWorkload(
      new ChaosClient(stack.gatewayUrls(), rng, tally, 180_000),
      watcher,
      rng,
      publisher,
    );
    const drives: Array<Promise<RunRecord | undefined>> = [];
    const generator = (async () => {
      for (let i = 0; i < RUNS; i++) {
        const plan = workload.plan({
          timeout: 0.15,
          reject: 0.3,
          surfaces: ['rest', 'rest', 'hitl', 'bridge', 'jetstream'],
          maxReplyDelayMs: 4000,
          steps: [2, 6],
        });
        drives.push(
          workload.drive(plan).catch((err: Error) => {
            workload.anomalies.push(`a run could not be driven: ${err.message}`);
            return undefined;
          }),
        );
        await sleep(rng.int(ARRIVAL_MS / 2, (ARRIVAL_MS * 3) / 2));
      }
    })();

    const schedule = Array.from({ length: ROUNDS }, () => rng.shuffle<Fault>(FAULTS)).flat();
    const injector = (async () => {
      await sleep(rng.int(3000, 6000));
      for (const fault of schedule) {
        const down = rng.int(Math.min(500, MAX_DOWN_MS), MAX_DOWN_MS);
        if (fault === 'nats') await faults.restartNats(stack, down);
        else if (fault === 'postgres') await faults.restartPostgres(stack, down, 'SIGKILL');
        else await faults.killService(stack, fault, 0, down);
        await sleep(rng.int(3000, 7000));
      }
    })();

    await Promise.all([generator, injector]);
    const records = (await Promise.all(drives)).filter((r): r is RunRecord => !!r);
    // A reply accepted while escalation is down just before its deadline hits the known bug "escalation
    // for a gate answered in time" (strict in late-disarm.e2e-spec.ts): listed, not failed, here.
    const verdict = await verifyOutcome(stack, watcher, records, tally, {
      settleMs: 180_000,
      tolerateLateDisarm: true,
    });
    const timedOut = records.filter((r) => r.plan.decision === 'timeout');
    for (const r of timedOut.slice(0, 5)) await workload.replyAfterTimeout(r);

    reportFigures('full-chaos', {
      seed: rng.seed,
      faults: faults.records,
      ...verdict.figures,
      consumers: verdict.consumers,
      deadLetterRows: verdict.deadLetters,
      knownBugs: verdict.knownBugs,
      counters: workload.counters,
    });
    expect(records).toHaveLength(RUNS);
    expect(workload.anomalies).toEqual([]);
    expect(verdict.problems).toEqual([]);
    expect(verdict.consumers.every((c) => c.numPending === 0 && c.numAckPending === 0)).toBe(true);
  }, 900_000);
});
