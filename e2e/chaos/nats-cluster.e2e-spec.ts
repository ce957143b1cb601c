import { Stack } from '../../tools/test-support/stack';
import { ChaosClient, StatusTally } from './support/chaos-client';
import { FaultLog } from './support/faults';
import { Rng, sleep } from './support/prng';
import { reportFigures } from './support/report';
import { SqlWatcher } from './support/sql-watcher';
import { verifyOutcome } from './support/verify';
import { ChaosWorkload, HumanPublisher } from './support/workload';

/**
 * DESIGN section 8, scale-out on existing engines: a three-node NATS cluster (file storage, every
 * stream at three replicas; the services get all three URLs and STREAM_REPLICAS=3). One node is
 * killed with -9 mid-load (the leader of the work-queue stream, when it can be told) and brought
 * back: everything completes, the oracle is clean, the node catches up.
 */
describe('three-node NATS cluster, one node killed (chaos)', () => {
  const rng = Rng.fromEnv();
  const tally = new StatusTally();
  const faults = new FaultLog();
  let stack: Stack;
  let watcher: SqlWatcher;
  let publisher: HumanPublisher;

  beforeAll(async () => {
    process.stdout.write(`[chaos] nats-cluster seed ${rng.seed}\n`);
    stack = await Stack.start({
      name: 'chaos-cluster',
      natsClusterSize: 3,
      env: { SBX_MOCK_DELAY_MS: '100', RPC_TIMEOUT_MS: '3000' },
    });
    watcher = new SqlWatcher(stack.db);
    watcher.start();
    publisher = await HumanPublisher.connect(stack.nats.url);
  }, 180_000);

  afterAll(async () => {
    watcher?.stop();
    await publisher?.close();
    await stack?.stop();
  }, 60_000);

  it('provisions R3 file streams and the services use every node', async () => {
    const streams = await stack.streamStates();
    for (const s of streams) {
      expect(s.replicas).toBe(3);
      expect(s.peers).toHaveLength(2);
    }
    expect(stack.env(stack.processes[0]).NATS_URL?.split(',')).toHaveLength(3);
    expect(stack.env(stack.processes[0]).STREAM_REPLICAS).toBe('3');
  });

  it('completes every run with one node killed mid-load and brought back', async () => {
    const workload = new ChaosWorkload(new ChaosClient(stack.gatewayUrls(), rng, tally), watcher, rng, publisher);
    const plans = Array.from({ length: 16 }, () =>
      workload.plan({ surfaces: ['rest', 'hitl', 'bridge', 'jetstream'], maxReplyDelayMs: 3000 }),
    );
    const driving = Promise.all(
      plans.map(async (plan, i) => {
        await sleep(i * 100);
        return workload.drive(plan);
      }),
    );
    await sleep(rng.int(1000, 3000));
    const queues = (await stack.streamStates()).find((s) => s.name === 'GATEHOUSE_QUEUES');
    const leaderIndex = stack.natsCluster!.nodes.findIndex((_, i) => queues?.leader?.endsWith(`-n${i}`));
    const victim = leaderIndex >= 0 && rng.chance(0.7) ? leaderIndex : rng.int(0, 2);
    await faults.natsNode(stack, victim, rng.int(2000, 4000));
    const records = await driving;
    const verdict = await verifyOutcome(stack, watcher, records, tally, { settleMs: 90_000 });

    // The restarted node catches up on every stream.
    const until = Date.now() + 30_000;
    let streams = await stack.streamStates().catch(() => []);
    while (!(
      streams.length && streams.every((s) => s.peers.length === 2 && s.peers.every((p) => p.current && !p.offline))
    )) {
      if (Date.now() > until) break;
      await sleep(500);
      streams = await stack.streamStates().catch(() => streams);
    }
    reportFigures('nats-cluster', {
      seed: rng.seed,
      victim,
      victimWasQueueLeader: victim === leaderIndex,
      faults: faults.records,
      streamsAfter: streams.map((s) => ({ name: s.name, leader: s.leader, messages: s.messages, peers: s.peers })),
      ...verdict.figures,
      counters: workload.counters,
    });
    expect(streams.every((s) => s.peers.length === 2 && s.peers.every((p) => p.current && !p.offline))).toBe(true);
    expect(workload.anomalies).toEqual([]);
    expect(verdict.problems).toEqual([]);
  }, 240_000);
});
