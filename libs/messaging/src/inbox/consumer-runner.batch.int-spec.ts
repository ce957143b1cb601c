import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { JsMsg } from '@nats-io/jetstream';
import type { EntityManager } from 'typeorm';
import {
  createTestConsumer,
  createTestStream,
  memoryLogger,
  startInfra,
  waitFor,
  type Infra,
} from '../../test/messaging-fixtures';
import type { ConsumerDefinition } from '../jetstream/definitions';
import { writeOutbox } from '../outbox/outbox-message';
import { ConsumerRunner, type ConsumerRunnerOptions, type Outcome } from './consumer-runner';
import type { InboundMessage } from './inbound-message';
import type { MessageHandler } from './message-handler';

const SCHEMA = 'runs';
const STREAM = 'T_BATCH';
/** Keeps every publish, even of a message id it already holds: duplicates reach the consumer. */
const NO_DEDUPE_STREAM = 'T_BATCH_NO_DEDUPE';
const NS = 1_000_000_000;

interface Settled {
  msgId: string;
  delivery: number;
  outcome: Outcome;
}

class RecordingRunner<P> extends ConsumerRunner<P> {
  readonly outcomes: Settled[] = [];
  protected override onSettled(msg: JsMsg, outcome: Outcome): void {
    this.outcomes.push({ msgId: msg.headers?.get('Nats-Msg-Id') ?? '', delivery: msg.info.deliveryCount, outcome });
  }
}

/**
 * Inserts one row in public.effects per apply (no unique key: a second apply would show). The row's
 * xmin is the transaction that applied it; `fail` can make a delivery throw after its effect.
 */
class EffectHandler implements MessageHandler<void> {
  calls = 0;
  constructor(
    readonly consumer: ConsumerDefinition,
    private readonly fail: (msg: InboundMessage) => boolean = () => false,
  ) {}

  async handle(tx: EntityManager, msg: InboundMessage): Promise<void> {
    this.calls++;
    const { key } = msg.json<{ key: string }>();
    await tx.query('INSERT INTO public.effects (msg_id, key, delivery) VALUES ($1, $2, $3)', [
      msg.msgId,
      key,
      msg.deliveryCount,
    ]);
    if (this.fail(msg)) throw new Error(`fails on delivery ${msg.deliveryCount}`);
  }
}

/**
 * Writes two outbox messages per apply: its own, and one every delivery of the test writes (the same
 * fact announced twice, to be written once). `fail` can make a delivery throw after its writes.
 */
class AnnouncingHandler implements MessageHandler<void> {
  constructor(
    readonly consumer: ConsumerDefinition,
    private readonly shared: string,
    private readonly fail: (msg: InboundMessage) => boolean = () => false,
  ) {}

  async handle(tx: EntityManager, msg: InboundMessage): Promise<void> {
    await writeOutbox(tx, SCHEMA, [{ msgId: `own:${msg.msgId}`, subject: 'evt.test.own', payload: { id: msg.msgId } }]);
    await writeOutbox(tx, SCHEMA, [{ msgId: this.shared, subject: 'evt.test.shared', payload: { by: msg.msgId } }]);
    if (this.fail(msg)) throw new Error(`fails on delivery ${msg.deliveryCount}`);
  }
}

describe('ConsumerRunner group commit (real Postgres + private nats-server)', () => {
  let infra: Infra;
  const runners: ConsumerRunner<unknown>[] = [];
  let n = 0;

  beforeAll(async () => {
    infra = await startInfra('consumer_batch', 12);
    await createTestStream(infra.jsm, STREAM, ['b.>']);
    await infra.jsm.streams.add({ name: NO_DEDUPE_STREAM, subjects: ['nd.>'], duplicate_window: NS / 10 });
    await infra.db.query(
      'CREATE TABLE public.effects (id bigserial PRIMARY KEY, msg_id text NOT NULL, key text NOT NULL, delivery int NOT NULL)',
    );
  });

  afterEach(async () => {
    await Promise.all(runners.splice(0).map((r) => r.stop()));
  });

  afterAll(async () => {
    await infra?.stop();
  });

  async function newConsumer(stream = STREAM, prefix = 'b'): Promise<{ def: ConsumerDefinition; subject: string }> {
    const id = `c${++n}`;
    const def = await createTestConsumer(infra.jsm, stream, `batch-${id}`, `${prefix}.${id}.>`, 5);
    return { def, subject: `${prefix}.${id}.x` };
  }

  function newRunner<P>(handler: MessageHandler<P>, opts: Partial<ConsumerRunnerOptions> = {}) {
    const log = memoryLogger();
    const runner = new RecordingRunner(
      infra.ds,
      SCHEMA,
      infra.js,
      handler,
      {
        concurrency: 2,
        maxDeliveries: 5,
        batchMax: 16,
        ...opts,
      },
      log,
    );
    runners.push(runner as ConsumerRunner<unknown>);
    return { runner, log };
  }

  const publishAll = async (subject: string, ids: string[]) => {
    for (const id of ids) await infra.js.publish(subject, JSON.stringify({ key: id }), { msgID: id });
  };

  /** Takes `count` deliveries off the consumer by hand, to hand them to processBatch as one batch. */
  async function fetch(def: ConsumerDefinition, count: number): Promise<JsMsg[]> {
    const consumer = await infra.js.consumers.get(def.stream, def.durable);
    const msgs: JsMsg[] = [];
    while (msgs.length < count) {
      const batch = await consumer.fetch({ max_messages: count - msgs.length, expires: 2000 });
      for await (const m of batch) msgs.push(m);
    }
    return msgs;
  }

  /** Per message id: how many effects, and the transactions of its effects and of its inbox row. */
  async function applied(def: ConsumerDefinition, ids: string[]) {
    const rows = await infra.db.query<{
      msg_id: string;
      effects: string;
      effect_xids: string[];
      inbox_xid: string | null;
    }>(
      `SELECT i.id AS msg_id,
              (SELECT count(*) FROM public.effects e WHERE e.msg_id = i.id) AS effects,
              ARRAY(SELECT e.xmin::text FROM public.effects e WHERE e.msg_id = i.id) AS effect_xids,
              (SELECT b.xmin::text FROM ${SCHEMA}.inbox b WHERE b.consumer = $1 AND b.msg_id = i.id) AS inbox_xid
       FROM unnest($2::text[]) AS i(id)`,
      [def.durable, ids],
    );
    return new Map(
      rows.map((r) => [r.msg_id, { effects: Number(r.effects), effectXids: r.effect_xids, inboxXid: r.inbox_xid }]),
    );
  }

  async function expectSettledOnServer(def: ConsumerDefinition): Promise<void> {
    await waitFor(async () => {
      const info = await infra.jsm.consumers.info(def.stream, def.durable);
      return info.num_ack_pending === 0 && info.num_pending === 0;
    }, `${def.durable} to have nothing pending`);
  }

  it('commits a burst of waiting messages in fewer transactions than messages, each effect with its inbox row', async () => {
    const { def, subject } = await newConsumer();
    const handler = new EffectHandler(def);
    const ids = Array.from({ length: 60 }, (_, i) => `burst-${randomUUID()}-${i}`);
    await publishAll(subject, ids);
    const { runner } = newRunner(handler, { concurrency: 2, batchMax: 8 });
    await runner.start();

    await waitFor(() => runner.outcomes.length >= ids.length, 'all settled');
    await expectSettledOnServer(def);
    expect(runner.outcomes.filter((o) => o.outcome !== 'applied')).toEqual([]);
    expect(handler.calls).toBe(ids.length);
    const rows = await applied(def, ids);
    const perTransaction = new Map<string, number>();
    for (const id of ids) {
      const r = rows.get(id)!;
      expect(r.effects).toBe(1);
      // The effect and the inbox row were committed by the same transaction.
      expect(r.effectXids).toEqual([r.inboxXid]);
      perTransaction.set(r.inboxXid!, (perTransaction.get(r.inboxXid!) ?? 0) + 1);
    }
    expect(perTransaction.size).toBeLessThan(ids.length);
    expect(perTransaction.size).toBeGreaterThanOrEqual(ids.length / 8);
    expect(Math.max(...perTransaction.values())).toBeLessThanOrEqual(8);
  });

  it('does not hold a lone message back: one waiting message is committed alone, at once', async () => {
    const { def, subject } = await newConsumer();
    const { runner } = newRunner(new EffectHandler(def), { concurrency: 2, batchMax: 32 });
    await runner.start();
    const ids = [`alone-${randomUUID()}`, `alone-${randomUUID()}`];
    for (const [i, id] of ids.entries()) {
      await publishAll(subject, [id]);
      // Settles without a second message arriving to fill a batch.
      await waitFor(() => runner.outcomes.length > i, `message ${i} settled`);
    }
    const rows = await applied(def, ids);
    expect(ids.map((id) => rows.get(id)!.effects)).toEqual([1, 1]);
    expect(rows.get(ids[0])!.inboxXid).not.toBe(rows.get(ids[1])!.inboxXid);
    expect(runner.outcomes.map((o) => o.outcome)).toEqual(['applied', 'applied']);
  });

  it('never runs more than `concurrency` transactions at once, nor more than batchMax messages in one', async () => {
    const { def, subject } = await newConsumer();
    const open = new Set<EntityManager>();
    const perTransaction = new Map<EntityManager, number>();
    let maxOpen = 0;
    const handler: MessageHandler<void> = {
      consumer: def,
      handle: async (tx) => {
        open.add(tx);
        for (const t of open) if (!t.queryRunner?.isTransactionActive) open.delete(t);
        maxOpen = Math.max(maxOpen, open.size);
        perTransaction.set(tx, (perTransaction.get(tx) ?? 0) + 1);
        await tx.query('SELECT pg_sleep(0.01)');
      },
    };
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        infra.js.publish(subject, JSON.stringify({ i }), { msgID: `lim-${randomUUID()}` }),
      ),
    );
    const { runner } = newRunner(handler, { concurrency: 3, batchMax: 4 });
    await runner.start();
    await waitFor(() => runner.outcomes.length >= 60, 'all settled');
    expect(maxOpen).toBe(3);
    expect(Math.max(...perTransaction.values())).toBe(4);
    expect([...perTransaction.values()].reduce((a, b) => a + b, 0)).toBe(60);
  });

  it('keeps prepare() calls (outside systems) at `concurrency` at once, however large the batches', async () => {
    const { def, subject } = await newConsumer();
    let preparing = 0;
    let maxPreparing = 0;
    let handled = 0;
    const handler: MessageHandler<number> = {
      consumer: def,
      prepare: async () => {
        maxPreparing = Math.max(maxPreparing, ++preparing);
        await new Promise((r) => setTimeout(r, 20));
        preparing--;
        return 1;
      },
      handle: async (_tx, _msg, prepared) => {
        handled += prepared;
      },
    };
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        infra.js.publish(subject, JSON.stringify({ i }), { msgID: `prep-${randomUUID()}` }),
      ),
    );
    const { runner } = newRunner(handler, { concurrency: 2, batchMax: 16 });
    await runner.start();
    await waitFor(() => runner.outcomes.length >= 40, 'all settled');
    expect(maxPreparing).toBe(2);
    expect(handled).toBe(40);
    expect(runner.outcomes.filter((o) => o.outcome !== 'applied')).toEqual([]);
  });

  it('a failing message in a batch is retried alone; the others are applied once, by the batch fallback', async () => {
    const { def, subject } = await newConsumer();
    const ids = Array.from({ length: 6 }, (_, i) => `fail-${randomUUID()}-${i}`);
    const failing = ids[3];
    const handler = new EffectHandler(def, (m) => m.msgId === failing && m.deliveryCount === 1);
    await publishAll(subject, ids);
    const { runner, log } = newRunner(handler);

    const outcomes = await runner.processBatch(await fetch(def, ids.length));
    expect(outcomes).toEqual(['applied', 'applied', 'applied', 'retry', 'applied', 'applied']);
    expect(log.lines.filter((l) => l.msg.includes('batch rolled back'))).toHaveLength(1);
    // The batch ran the first four handlers, then each message ran alone.
    expect(handler.calls).toBe(4 + ids.length);
    let rows = await applied(def, ids);
    expect(ids.map((id) => rows.get(id)!.effects)).toEqual([1, 1, 1, 0, 1, 1]);
    expect(rows.get(failing)!.inboxXid).toBeNull();

    // The nak'd message comes back and is applied once.
    const before = runner.outcomes.length;
    await runner.start();
    await waitFor(() => runner.outcomes.some((o) => o.msgId === failing && o.delivery === 2), 'redelivery');
    await expectSettledOnServer(def);
    rows = await applied(def, ids);
    expect(ids.map((id) => rows.get(id)!.effects)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(runner.outcomes.slice(before)).toEqual([{ msgId: failing, delivery: 2, outcome: 'applied' }]);
  });

  it('a poison message in a batch is dead-lettered alone; the others are applied once', async () => {
    const { def, subject } = await newConsumer();
    const ids = Array.from({ length: 5 }, (_, i) => `poison-${randomUUID()}-${i}`);
    const poison = ids[1];
    for (const id of ids) {
      await infra.js.publish(subject, id === poison ? '{"key": not json' : JSON.stringify({ key: id }), { msgID: id });
    }
    const handler = new EffectHandler(def);
    const { runner, log } = newRunner(handler);

    const outcomes = await runner.processBatch(await fetch(def, ids.length));
    expect(outcomes).toEqual(['applied', 'dead-lettered', 'applied', 'applied', 'applied']);
    expect(log.lines.filter((l) => l.msg.includes('batch rolled back'))).toHaveLength(1);
    const rows = await applied(def, ids);
    expect(ids.map((id) => rows.get(id)!.effects)).toEqual([1, 0, 1, 1, 1]);
    const dead = await infra.db.query<{ msg_id: string }>(
      `SELECT msg_id FROM ${SCHEMA}.dead_letters WHERE consumer = $1`,
      [def.durable],
    );
    expect(dead).toEqual([{ msg_id: poison }]);
    // Its inbox row (written with the dead letter) makes a redelivery a no-op.
    expect(rows.get(poison)!.inboxXid).not.toBeNull();
    await expectSettledOnServer(def);
  });

  /** The outbox rows whose ids start with `prefix`, in outbox order, with the transaction and command that wrote each. */
  async function outboxRows(prefix: string) {
    return infra.db.query<{ msg_id: string; xid: string; cmd: string; payload: { id?: string; by?: string } }>(
      `SELECT msg_id, xmin::text AS xid, cmin::text AS cmd, payload FROM ${SCHEMA}.outbox
       WHERE msg_id LIKE $1 || '%' ORDER BY id`,
      [prefix],
    );
  }

  it("writes a batch's outbox messages in one statement, in the order its handlers wrote them, each fact once", async () => {
    const { def, subject } = await newConsumer();
    const tag = randomUUID();
    const ids = Array.from({ length: 5 }, (_, i) => `ann-${tag}-${i}`);
    const shared = `ann-${tag}-shared`;
    await publishAll(subject, ids);
    const { runner } = newRunner(new AnnouncingHandler(def, shared));

    expect(await runner.processBatch(await fetch(def, ids.length))).toEqual(ids.map(() => 'applied'));
    const own = await outboxRows(`own:ann-${tag}`);
    const all = await outboxRows(`ann-${tag}`);
    expect(own.map((r) => r.msg_id)).toEqual(ids.map((id) => `own:${id}`));
    // The shared fact is written once, by the first handler that announced it.
    expect(all.map((r) => [r.msg_id, r.payload.by])).toEqual([[shared, ids[0]]]);
    const written = [...own, ...all];
    // One transaction, the batch's (its inbox rows), and one command within it.
    const inbox = (await applied(def, ids)).get(ids[0])!.inboxXid;
    expect(new Set(written.map((r) => r.xid))).toEqual(new Set([inbox]));
    expect(new Set(written.map((r) => r.cmd)).size).toBe(1);
  });

  it('tells afterCommit whether the transaction wrote outbox messages, so the relay is woken only then', async () => {
    const silent = await newConsumer();
    const announcing = await newConsumer();
    const tag = randomUUID();
    const seen: Array<[string, boolean]> = [];
    const quiet = newRunner(new EffectHandler(silent.def), { afterCommit: (w) => seen.push(['effects', w]) });
    const loud = newRunner(new AnnouncingHandler(announcing.def, `aft-${tag}-shared`), {
      afterCommit: (w) => seen.push(['outbox', w]),
    });
    await publishAll(silent.subject, [`aft-${tag}-0`, `aft-${tag}-1`]);
    await publishAll(announcing.subject, [`aft-${tag}-2`, `aft-${tag}-3`]);
    // A batch each, and a lone delivery each (the single-delivery path).
    await quiet.runner.processBatch(await fetch(silent.def, 2));
    await loud.runner.processBatch(await fetch(announcing.def, 2));
    await publishAll(silent.subject, [`aft-${tag}-4`]);
    await publishAll(announcing.subject, [`aft-${tag}-5`]);
    await quiet.runner.process((await fetch(silent.def, 1))[0]);
    await loud.runner.process((await fetch(announcing.def, 1))[0]);
    expect(seen).toEqual([
      ['effects', false],
      ['outbox', true],
      ['effects', false],
      ['outbox', true],
    ]);
  });

  it('writes no outbox message of a rolled-back batch twice; the failed delivery writes none', async () => {
    const { def, subject } = await newConsumer();
    const tag = randomUUID();
    const ids = Array.from({ length: 4 }, (_, i) => `annfail-${tag}-${i}`);
    const failing = ids[2];
    await publishAll(subject, ids);
    const { runner } = newRunner(
      new AnnouncingHandler(def, `annfail-${tag}-shared`, (m) => m.msgId === failing && m.deliveryCount === 1),
    );

    expect(await runner.processBatch(await fetch(def, ids.length))).toEqual(['applied', 'applied', 'retry', 'applied']);
    const own = await outboxRows(`own:annfail-${tag}`);
    expect(own.map((r) => r.msg_id)).toEqual(ids.filter((id) => id !== failing).map((id) => `own:${id}`));
    expect((await outboxRows(`annfail-${tag}`)).map((r) => r.payload.by)).toEqual([ids[0]]);
    // Settled one by one after the rollback: each delivery's own transaction.
    expect(new Set(own.map((r) => r.xid)).size).toBe(3);
  });

  it('applies a message id once when it comes twice in one batch and again in a later batch', async () => {
    const { def, subject } = await newConsumer(NO_DEDUPE_STREAM, 'nd');
    const [a, b, c] = [`dup-a-${randomUUID()}`, `dup-b-${randomUUID()}`, `dup-c-${randomUUID()}`];
    const handler = new EffectHandler(def);
    const { runner } = newRunner(handler);
    const publishApart = async (ids: string[]) => {
      for (const id of ids) {
        await new Promise((r) => setTimeout(r, 150)); // past the stream's 100 ms duplicate window
        await publishAll(subject, [id]);
      }
    };

    await publishApart([a, b, a, c]);
    expect(await runner.processBatch(await fetch(def, 4))).toEqual(['applied', 'applied', 'duplicate', 'applied']);
    await publishApart([c, b, a]);
    expect(await runner.processBatch(await fetch(def, 3))).toEqual(['duplicate', 'duplicate', 'duplicate']);

    const rows = await applied(def, [a, b, c]);
    expect([a, b, c].map((id) => rows.get(id)!.effects)).toEqual([1, 1, 1]);
    expect(rows.get(a)!.inboxXid).toBe(rows.get(b)!.inboxXid);
    expect(handler.calls).toBe(3);
    await expectSettledOnServer(def);
  });
});
