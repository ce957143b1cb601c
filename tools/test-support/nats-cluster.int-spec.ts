import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { isClusterForming, provisionStreams, STREAMS } from '@gatehouse/messaging';
import { startNatsCluster, type NatsClusterHandle } from './nats-cluster';
import { streamStates } from './jetstream-state';

/** The three-node cluster of the chaos tests: R3 file streams survive one node's death. */
describe('startNatsCluster (three private nodes)', () => {
  let cluster: NatsClusterHandle;
  let nc: NatsConnection;

  beforeAll(async () => {
    cluster = await startNatsCluster('cluster-selftest', 3);
    nc = await connect({ servers: cluster.urls, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    await provisionStreams(nc, { replicas: 3 });
  }, 60_000);

  afterAll(async () => {
    await nc?.close();
    await cluster?.stop();
  });

  it('provisions every stream with three file replicas', async () => {
    const states = await streamStates(cluster.url);
    expect(states.map((s) => s.name).sort()).toEqual(
      Object.values(STREAMS)
        .map((s) => s.name)
        .sort(),
    );
    for (const s of states) {
      expect(s.replicas).toBe(3);
      expect(s.leader).toBeTruthy();
      expect(s.peers).toHaveLength(2);
    }
    const jsm = await jetstreamManager(nc);
    expect((await jsm.streams.info(STREAMS.events.name)).config.storage).toBe('file');
  });

  it('keeps accepting and keeping messages with one node killed, and the node catches up', async () => {
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    const leader = (await jsm.streams.info(STREAMS.events.name)).cluster?.leader ?? '';
    const victim = cluster.nodes.findIndex((_, i) => leader.endsWith(`-n${i}`));
    expect(victim).toBeGreaterThanOrEqual(0);
    await js.publish('evt.runs.gate-requested.w1.g1', '{}', { msgID: 'before-kill' });
    await cluster.stopNode(victim, 'SIGKILL');

    // The stream leader died: a new one is elected; publishes succeed again within seconds.
    const until = Date.now() + 30_000;
    for (let i = 0; i < 20;) {
      try {
        await js.publish('evt.runs.gate-requested.w1.g1', `{"i":${i}}`, { msgID: `during-${i}`, timeout: 2000 });
        i++;
      } catch (err) {
        if (Date.now() > until) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const during = await jsm.streams.info(STREAMS.events.name);
    expect(during.state.messages).toBe(21);
    expect(during.cluster?.leader).not.toBe(leader);

    await cluster.restartNode(victim);
    const caughtUp = Date.now() + 30_000;
    let last: unknown;
    for (;;) {
      try {
        const events = (await streamStates(cluster.url)).find((s) => s.name === STREAMS.events.name)!;
        last = events;
        if (events.peers.length === 2 && events.peers.every((p) => p.current && !p.offline)) break;
      } catch (err) {
        last = err; // the restarted node may not answer the API for a moment
      }
      if (Date.now() > caughtUp) throw new Error(`replicas not current: ${String(last)} ${JSON.stringify(last)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }, 90_000);

  /**
   * Two of three nodes: the meta group has a quorum but an R3 stream has no place to go. Waits
   * out a meta-leader election (timeouts) until the cluster says exactly that.
   */
  async function placementRefused(): Promise<void> {
    const jsm = await jetstreamManager(nc, { checkAPI: false, timeout: 2_000 });
    const until = Date.now() + 30_000;
    for (;;) {
      const err = await jsm.streams.add({ name: 'probe-r3', subjects: ['probe.r3'], num_replicas: 3 }).then(
        () => new Error('an R3 stream was placed on two nodes'),
        (e: Error) => e,
      );
      if (/no suitable peers/i.test(err.message)) return;
      if (/placed on two nodes/.test(err.message) || Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Removes one stream so that provisioning has to place it again (already gone is fine). */
  async function dropSysStream(): Promise<void> {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(STREAMS.sys.name).catch((err: Error) => {
      if (!/not found/i.test(err.message)) throw err;
    });
  }

  it('provisioning waits for a node that has not joined yet instead of failing', async () => {
    await dropSysStream();
    const absent = 2;
    await cluster.stopNode(absent, 'SIGTERM');
    await placementRefused();

    const started = Date.now();
    const rejoin = new Promise<void>((resolve, reject) =>
      setTimeout(() => cluster.restartNode(absent).then(resolve, reject), 2_000),
    );
    await provisionStreams(nc, { replicas: 3 });
    await rejoin;
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    const sys = (await streamStates(cluster.url)).find((s) => s.name === STREAMS.sys.name)!;
    expect(sys.replicas).toBe(3);
    expect(sys.peers).toHaveLength(2);
  }, 90_000);

  it('gives up with the cluster error once clusterWaitMs has passed', async () => {
    await dropSysStream();
    await cluster.stopNode(1, 'SIGTERM');
    try {
      await placementRefused();
      const started = Date.now();
      const err = await provisionStreams(nc, { replicas: 3, clusterWaitMs: 1_500 }).then(
        () => new Error('provisioned R3 streams on two nodes'),
        (e: Error) => e,
      );
      // The cluster's own error: no place for the new stream, or a timeout while a stream whose
      // leader was on the stopped node elects a new one.
      expect(err.message).toMatch(/no suitable peers|timeout/i);
      expect(isClusterForming(err)).toBe(true);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    } finally {
      await cluster.restartNode(1);
    }
    await provisionStreams(nc, { replicas: 3 });
  }, 90_000);
});
