import 'reflect-metadata';
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startNatsServer, type NatsServerHandle } from '../../../../tools/test-support/nats-server';
import { CONSUMERS, RETIRED_CONSUMERS, STREAMS } from './definitions';
import { provisionStreams } from './provision';

const NS = 1_000_000_000;

describe('provisionStreams (private nats-server)', () => {
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  beforeAll(async () => {
    nats = await startNatsServer('provision');
    nc = await connect({ servers: nats.url });
    jsm = await jetstreamManager(nc);
  });

  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
  });

  async function deleteEverything(): Promise<void> {
    for (const s of Object.values(STREAMS)) await jsm.streams.delete(s.name).catch(() => undefined);
  }

  async function expectDeclaredTopology(): Promise<void> {
    const names: string[] = [];
    for await (const s of jsm.streams.list()) names.push(s.config.name);
    expect(names.sort()).toEqual(
      Object.values(STREAMS)
        .map((s) => s.name)
        .sort(),
    );

    for (const def of Object.values(STREAMS)) {
      const { config } = await jsm.streams.info(def.name);
      expect(config.subjects).toEqual(def.subjects);
      expect(config.storage).toBe(StorageType.File);
      expect(config.retention).toBe(def.retention === 'workqueue' ? RetentionPolicy.Workqueue : RetentionPolicy.Limits);
      expect(config.duplicate_window).toBe(def.duplicateWindowS * NS);
      expect(config.max_age).toBe(def.maxAgeS * NS);
      expect(config.num_replicas).toBe(1);
    }

    for (const def of Object.values(CONSUMERS)) {
      const { config } = await jsm.consumers.info(def.stream, def.durable);
      expect(config.durable_name).toBe(def.durable);
      expect(config.filter_subject).toBe(def.filterSubject);
      expect(config.ack_policy).toBe(AckPolicy.Explicit);
      expect(config.deliver_policy).toBe(DeliverPolicy.All);
      expect(config.ack_wait).toBe(def.ackWaitS * NS);
      expect(config.max_ack_pending).toBe(def.maxAckPending);
      // The runner dead-letters into Postgres itself; the server must never drop a message first.
      expect(config.max_deliver).toBe(-1);
      // Pull consumer: no push subject.
      expect(config.deliver_subject).toBeUndefined();
    }
    const perStream = new Map<string, number>();
    for (const c of Object.values(CONSUMERS)) perStream.set(c.stream, (perStream.get(c.stream) ?? 0) + 1);
    for (const def of Object.values(STREAMS)) {
      const consumers: string[] = [];
      for await (const c of jsm.consumers.list(def.name)) consumers.push(c.name);
      expect(consumers.length).toBe(perStream.get(def.name) ?? 0);
    }
  }

  it('creates the declared streams and consumers, and a second run changes nothing', async () => {
    await deleteEverything();
    await provisionStreams(nc);
    await expectDeclaredTopology();
    const created = await Promise.all(
      Object.values(STREAMS).map((s) => jsm.streams.info(s.name).then((i) => i.created)),
    );

    await provisionStreams(nc);
    await expectDeclaredTopology();
    // Same streams (not deleted and re-created).
    const again = await Promise.all(Object.values(STREAMS).map((s) => jsm.streams.info(s.name).then((i) => i.created)));
    expect(again).toEqual(created);
  });

  it('keeps stored messages and consumer positions when run again', async () => {
    await provisionStreams(nc);
    const js = jetstream(nc);
    const ack = await js.publish('evt.runs.gate-requested.w1.g1', '{}', { msgID: 'keep-1' });
    await provisionStreams(nc);
    const info = await jsm.streams.info(STREAMS.events.name);
    expect(info.state.last_seq).toBe(ack.seq);
    expect(info.state.messages).toBeGreaterThanOrEqual(1);
    const c = await jsm.consumers.info(STREAMS.events.name, CONSUMERS.gatesGateRequested.durable);
    expect(c.num_pending).toBeGreaterThanOrEqual(1);
  });

  it('is safe when several processes run it at once on an empty server', async () => {
    await deleteEverything();
    const conns = await Promise.all([1, 2, 3, 4].map(() => connect({ servers: nats.url })));
    try {
      const results = await Promise.allSettled(conns.map((c) => provisionStreams(c)));
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      // And concurrently again once everything exists.
      await Promise.all(conns.map((c) => provisionStreams(c)));
    } finally {
      await Promise.all(conns.map((c) => c.close()));
    }
    await expectDeclaredTopology();
  });

  it('puts back settings an operator changed by hand', async () => {
    await provisionStreams(nc);
    const events = await jsm.streams.info(STREAMS.events.name);
    await jsm.streams.update(STREAMS.events.name, { ...events.config, duplicate_window: 5 * NS });
    const c = CONSUMERS.gatesGateRequested;
    await jsm.consumers.update(c.stream, c.durable, { ack_wait: 3 * NS, max_ack_pending: 7 });
    expect((await jsm.consumers.info(c.stream, c.durable)).config.ack_wait).toBe(3 * NS);

    await provisionStreams(nc);
    await expectDeclaredTopology();
  });

  it("puts back a consumer's filter subject that differs from its definition, keeping its position", async () => {
    await provisionStreams(nc);
    const c = CONSUMERS.runsGateDecided;
    await jsm.consumers.update(c.stream, c.durable, { filter_subject: 'evt.gates.some-older-filter.>' });
    const before = await jsm.consumers.info(c.stream, c.durable);
    expect(before.config.filter_subject).toBe('evt.gates.some-older-filter.>');

    await provisionStreams(nc);
    await expectDeclaredTopology();
    const after = await jsm.consumers.info(c.stream, c.durable);
    expect(after.created).toEqual(before.created);
    expect(after.delivered.stream_seq).toBe(before.delivered.stream_seq);
  });

  it('deletes retired consumers left by an earlier version, with their pending messages, idempotently', async () => {
    await provisionStreams(nc);
    const retired = { stream: STREAMS.events.name, durable: 'gates-run-updated' };
    expect(RETIRED_CONSUMERS).toContainEqual(retired);
    // As an earlier version declared it, with messages nobody will acknowledge any more.
    await jsm.consumers.add(retired.stream, {
      durable_name: retired.durable,
      filter_subject: 'evt.runs.run-updated.>',
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
    });
    await jetstream(nc).publish('evt.runs.run-updated.w4', '{}', { msgID: 'retired-1' });
    expect((await jsm.consumers.info(retired.stream, retired.durable)).num_pending).toBe(1);

    const conns = await Promise.all([1, 2, 3].map(() => connect({ servers: nats.url })));
    try {
      const results = await Promise.allSettled(conns.map((c) => provisionStreams(c)));
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    } finally {
      await Promise.all(conns.map((c) => c.close()));
    }
    await expect(jsm.consumers.info(retired.stream, retired.durable)).rejects.toThrow(/not found/i);
    await provisionStreams(nc);
    await expectDeclaredTopology();
  });

  it('the stream drops a repeated Nats-Msg-Id inside the duplicate window', async () => {
    await provisionStreams(nc);
    const js = jetstream(nc);
    const first = await js.publish('evt.gates.gate-opened.w2.g1', '{"n":1}', { msgID: 'dup-window-1' });
    const second = await js.publish('evt.gates.gate-opened.w2.g1', '{"n":2}', { msgID: 'dup-window-1' });
    expect(first.duplicate).toBe(false);
    expect(second.duplicate).toBe(true);
    expect(second.seq).toBe(first.seq);
  });

  it('routes each subject family to its stream, and only the matching consumers see it', async () => {
    await deleteEverything();
    await provisionStreams(nc);
    const js = jetstream(nc);
    const cases: Array<[string, string]> = [
      ['evt.runs.gate-requested.w3.g1', STREAMS.events.name],
      ['q.intentQ.p1', STREAMS.queues.name],
      ['q.sbxQ.p1', STREAMS.queues.name],
      ['human.reply.w3', STREAMS.human.name],
      ['sys.ping', STREAMS.sys.name],
    ];
    for (const [subject, stream] of cases) {
      const ack = await js.publish(subject, '{}');
      expect(ack.stream).toBe(stream);
    }
    const pending = async (c: { stream: string; durable: string }) =>
      (await jsm.consumers.info(c.stream, c.durable)).num_pending;
    expect(await pending(CONSUMERS.gatesGateRequested)).toBe(1);
    expect(await pending(CONSUMERS.runsGateDecided)).toBe(0);
    expect(await pending(CONSUMERS.runsIntentQueue)).toBe(1);
    expect(await pending(CONSUMERS.runsSandboxQueue)).toBe(1);
    expect(await pending(CONSUMERS.gatesHumanIngress)).toBe(1);

    // Gates sees a run's end, not its other snapshots.
    await js.publish('evt.runs.run-updated.w3', '{}');
    expect(await pending(CONSUMERS.gatesRunFinished)).toBe(0);
    await js.publish('evt.runs.run-finished.w3', '{}');
    expect(await pending(CONSUMERS.gatesRunFinished)).toBe(1);
  });
});
