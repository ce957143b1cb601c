import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { JsMsg } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import type { EntityManager } from 'typeorm';
import {
  createTestConsumer,
  createTestStream,
  memoryLogger,
  sleep,
  startInfra,
  waitFor,
  type Infra,
} from '../../test/messaging-fixtures';
import type { ConsumerDefinition } from '../jetstream/definitions';
import { ConsumerRunner, type ConsumerRunnerOptions, type Outcome } from './consumer-runner';
import { PoisonMessageError, type InboundMessage } from './inbound-message';
import type { MessageHandler } from './message-handler';

const SCHEMA = 'runs';
const STREAM = 'T_EXACTLY_ONCE';

/** Records every settlement, so tests can tell an applied delivery from a duplicate. */
class RecordingRunner<P> extends ConsumerRunner<P> {
  readonly outcomes: Array<{ msgId: string; delivery: number; outcome: Outcome }> = [];
  protected override onSettled(msg: JsMsg, outcome: Outcome): void {
    this.outcomes.push({
      msgId: msg.headers?.get('Nats-Msg-Id') ?? `seq:${msg.seq}`,
      delivery: msg.info.deliveryCount,
      outcome,
    });
  }
}

/** A handler whose effect is a row in public.effects (no unique key: a second apply would show). */
class EffectHandler implements MessageHandler<void> {
  calls = 0;
  constructor(
    readonly consumer: ConsumerDefinition,
    private readonly hooks: { afterEffect?: (msg: InboundMessage, tx: EntityManager) => Promise<void> } = {},
  ) {}

  async handle(tx: EntityManager, msg: InboundMessage): Promise<void> {
    this.calls++;
    const body = msg.json<{ key: string }>();
    await tx.query('INSERT INTO public.effects (msg_id, key, delivery) VALUES ($1, $2, $3)', [
      msg.msgId,
      body.key,
      msg.deliveryCount,
    ]);
    await this.hooks.afterEffect?.(msg, tx);
  }
}

describe('ConsumerRunner exactly-once (real Postgres + private nats-server)', () => {
  let infra: Infra;
  const runners: ConsumerRunner<unknown>[] = [];
  let n = 0;

  beforeAll(async () => {
    infra = await startInfra('consumer_runner', 24);
    await createTestStream(infra.jsm, STREAM, ['t.>']);
    await infra.db.query(
      'CREATE TABLE public.effects (id bigserial PRIMARY KEY, msg_id text NOT NULL, key text NOT NULL, delivery int NOT NULL)',
    );
    await infra.db.query(
      'CREATE TABLE public.dead_letter_hooks (msg_id text NOT NULL, xid text NOT NULL, error text NOT NULL)',
    );
  });

  afterEach(async () => {
    await Promise.all(runners.splice(0).map((r) => r.stop()));
  });

  afterAll(async () => {
    await infra?.stop();
  });

  /** A fresh subject family and durable consumer for one test. */
  async function newConsumer(ackWaitS = 1): Promise<{ def: ConsumerDefinition; subject: (s?: string) => string }> {
    const id = `c${++n}`;
    const def = await createTestConsumer(infra.jsm, STREAM, `test-${id}`, `t.${id}.>`, ackWaitS);
    return { def, subject: (s = 'x') => `t.${id}.${s}` };
  }

  function newRunner<P>(handler: MessageHandler<P>, opts: Partial<ConsumerRunnerOptions> = {}, ds = infra.ds) {
    const log = memoryLogger();
    const runner = new RecordingRunner(
      ds,
      SCHEMA,
      infra.js,
      handler,
      { concurrency: 4, maxDeliveries: 5, ...opts },
      log,
    );
    runners.push(runner as ConsumerRunner<unknown>);
    return { runner, log };
  }

  const publish = (subject: string, body: unknown, msgID?: string) =>
    infra.js.publish(subject, typeof body === 'string' ? body : JSON.stringify(body), msgID ? { msgID } : undefined);

  const count = async (sql: string, params: unknown[]) =>
    Number((await infra.db.query<{ n: string }>(sql, params))[0].n);
  const effects = (msgId: string) => count('SELECT count(*) AS n FROM public.effects WHERE msg_id = $1', [msgId]);
  const inboxRows = (consumer: string, msgId: string) =>
    count(`SELECT count(*) AS n FROM ${SCHEMA}.inbox WHERE consumer = $1 AND msg_id = $2`, [consumer, msgId]);

  async function expectSettledOnServer(def: ConsumerDefinition): Promise<void> {
    await waitFor(async () => {
      const info = await infra.jsm.consumers.info(def.stream, def.durable);
      return info.num_ack_pending === 0 && info.num_pending === 0;
    }, `${def.durable} to have nothing pending`);
  }

  it('applies each of N messages once and records it in the inbox', async () => {
    const { def, subject } = await newConsumer();
    const handler = new EffectHandler(def);
    const { runner } = newRunner(handler);
    await runner.start();
    const ids = Array.from({ length: 40 }, (_, i) => `fact-${randomUUID()}-${i}`);
    for (const id of ids) await publish(subject(), { key: id }, id);

    await waitFor(() => runner.outcomes.length >= ids.length, 'all messages settled');
    await expectSettledOnServer(def);
    expect(runner.outcomes.every((o) => o.outcome === 'applied')).toBe(true);
    const rows = await infra.db.query<{ msg_id: string; key: string }>(
      'SELECT msg_id, key FROM public.effects WHERE msg_id = ANY($1) ORDER BY msg_id',
      [ids],
    );
    expect(rows).toEqual([...ids].sort().map((id) => ({ msg_id: id, key: id })));
    expect(await count(`SELECT count(*) AS n FROM ${SCHEMA}.inbox WHERE consumer = $1`, [def.durable])).toBe(
      ids.length,
    );
    expect(handler.calls).toBe(ids.length);
  });

  it('uses <stream>:<seq> as the message id when the publisher set no Nats-Msg-Id', async () => {
    const { def, subject } = await newConsumer();
    const { runner } = newRunner(new EffectHandler(def));
    await runner.start();
    const a = await publish(subject(), { key: 'no-id-1' });
    const b = await publish(subject(), { key: 'no-id-2' });
    await waitFor(() => runner.outcomes.length >= 2, 'both settled');
    expect(await effects(`${STREAM}:${a.seq}`)).toBe(1);
    expect(await effects(`${STREAM}:${b.seq}`)).toBe(1);
  });

  it('rolls back the effect of a failed delivery and applies it once on redelivery', async () => {
    const { def, subject } = await newConsumer();
    const handler = new EffectHandler(def, {
      afterEffect: async (msg) => {
        if (msg.deliveryCount === 1) throw new Error('transient failure after the effect was written');
      },
    });
    const { runner, log } = newRunner(handler);
    await runner.start();
    const id = `fact-${randomUUID()}`;
    await publish(subject(), { key: id }, id);

    await waitFor(() => runner.outcomes.some((o) => o.outcome === 'applied'), 'redelivered and applied');
    expect(runner.outcomes.map((o) => [o.delivery, o.outcome])).toEqual([
      [1, 'retry'],
      [2, 'applied'],
    ]);
    expect(handler.calls).toBe(2);
    const rows = await infra.db.query<{ delivery: number }>('SELECT delivery FROM public.effects WHERE msg_id = $1', [
      id,
    ]);
    expect(rows).toEqual([{ delivery: 2 }]);
    expect(await inboxRows(def.durable, id)).toBe(1);
    expect(log.lines.some((l) => l.msg.includes('will be redelivered'))).toBe(true);
    await expectSettledOnServer(def);
  });

  it('a delivery whose ack is lost after commit is redelivered and applies nothing', async () => {
    const { def, subject } = await newConsumer(1);
    const handler = new EffectHandler(def);
    const id = `fact-${randomUUID()}`;
    await publish(subject(), { key: id }, id);

    // First delivery: fetched by hand, processed, and its ack never reaches the server (as if the
    // process died right after commit). The runner must not be running yet, or it would take it.
    const first = newRunner(handler);
    const consumer = await infra.js.consumers.get(def.stream, def.durable);
    const batch = await consumer.fetch({ max_messages: 1, expires: 2000 });
    let fetched: JsMsg | undefined;
    for await (const m of batch) fetched = m;
    expect(fetched).toBeDefined();
    const ackLost = new Proxy(fetched!, {
      get(target, prop, receiver) {
        if (prop === 'ackAck') return () => Promise.reject(new Error('connection lost before the ack'));
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    expect(await first.runner.process(ackLost)).toBe('applied');
    expect(first.log.lines.some((l) => l.level === 'warn' && l.msg.includes('ack not confirmed'))).toBe(true);
    expect((await infra.jsm.consumers.info(def.stream, def.durable)).num_ack_pending).toBe(1);

    // A runner (this process restarted) gets the redelivery after ack_wait: inbox hit, no effect, acked.
    const second = newRunner(handler);
    await second.runner.start();
    await waitFor(() => second.runner.outcomes.length >= 1, 'redelivery after ack_wait', 10_000);
    expect(second.runner.outcomes).toEqual([{ msgId: id, delivery: 2, outcome: 'duplicate' }]);
    expect(handler.calls).toBe(1);
    expect(await effects(id)).toBe(1);
    expect(await inboxRows(def.durable, id)).toBe(1);
    await expectSettledOnServer(def);
  });

  it('dead-letters a message that is not JSON at once, and acks it', async () => {
    const { def, subject } = await newConsumer();
    const handler = new EffectHandler(def);
    const { runner } = newRunner(handler);
    await runner.start();
    const id = `poison-${randomUUID()}`;
    const ack = await publish(subject('bad'), '{"key": not json', id);

    await waitFor(() => runner.outcomes.length >= 1, 'poison settled');
    expect(runner.outcomes).toEqual([{ msgId: id, delivery: 1, outcome: 'dead-lettered' }]);
    const dl = await infra.db.query<Record<string, unknown>>(`SELECT * FROM ${SCHEMA}.dead_letters WHERE msg_id = $1`, [
      id,
    ]);
    expect(dl).toHaveLength(1);
    expect(dl[0]).toMatchObject({
      consumer: def.durable,
      subject: subject('bad'),
      stream_seq: String(ack.seq),
      deliveries: 1,
      payload: '{"key": not json',
    });
    expect(dl[0].headers).toMatchObject({ 'Nats-Msg-Id': id });
    expect(String(dl[0].error)).toContain('PoisonMessageError');
    expect(await effects(id)).toBe(0);
    // The inbox row makes any later redelivery of it a no-op.
    expect(await inboxRows(def.durable, id)).toBe(1);
    await expectSettledOnServer(def);
  });

  it('never stores a credential header of a dead-lettered message (a bus reply carries its bearer key)', async () => {
    const { def, subject } = await newConsumer();
    const { runner } = newRunner(new EffectHandler(def));
    await runner.start();
    const id = `cred-${randomUUID()}`;
    const secret = 'gatehouse_key_0123456789abcdefghijABCDEFGHIJ0123456789abcdefghij';
    const h = natsHeaders();
    h.set('Nats-Msg-Id', id);
    h.set('Authorization', `Bearer ${secret}`);
    h.set('webhook-signature', `v1,${secret}`);
    h.set('X-Trace', 'kept');
    await infra.js.publish(subject('cred'), '{"key": not json', { headers: h });

    await waitFor(() => runner.outcomes.length >= 1, 'poison settled');
    const [dl] = await infra.db.query<{ headers: Record<string, string> }>(
      `SELECT headers FROM ${SCHEMA}.dead_letters WHERE msg_id = $1`,
      [id],
    );
    expect(dl.headers).toEqual({
      'Nats-Msg-Id': id,
      Authorization: '[redacted]',
      'webhook-signature': '[redacted]',
      'X-Trace': 'kept',
    });
    expect(JSON.stringify(dl)).not.toContain(secret);
  });

  it('dead-letters at once a PoisonMessageError thrown by prepare', async () => {
    const { def, subject } = await newConsumer();
    let handled = 0;
    const handler: MessageHandler<string> = {
      consumer: def,
      prepare: async () => {
        throw new PoisonMessageError('impossible payload');
      },
      handle: async () => void handled++,
    };
    const { runner } = newRunner(handler);
    await runner.start();
    const id = `poison-${randomUUID()}`;
    await publish(subject(), { key: id }, id);
    await waitFor(() => runner.outcomes.length >= 1, 'settled');
    expect(runner.outcomes[0].outcome).toBe('dead-lettered');
    expect(handled).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM ${SCHEMA}.dead_letters WHERE msg_id = $1`, [id])).toBe(1);
  });

  it('dead-letters a message failing every time at maxDeliveries, with onDeadLetter in the same transaction', async () => {
    const { def, subject } = await newConsumer();
    const hookCalls: string[] = [];
    const handler: MessageHandler<void> = {
      consumer: def,
      handle: async (tx, msg) => {
        await tx.query('INSERT INTO public.effects (msg_id, key, delivery) VALUES ($1, $2, $3)', [
          msg.msgId,
          'doomed',
          msg.deliveryCount,
        ]);
        throw new Error(`always fails (delivery ${msg.deliveryCount})`);
      },
      onDeadLetter: async (tx, msg, error) => {
        hookCalls.push(msg.msgId);
        await tx.query(
          'INSERT INTO public.dead_letter_hooks (msg_id, xid, error) VALUES ($1, pg_current_xact_id()::text, $2)',
          [msg.msgId, error.message],
        );
      },
    };
    const { runner } = newRunner(handler, { maxDeliveries: 3 });
    await runner.start();
    const id = `doomed-${randomUUID()}`;
    await publish(subject(), { key: id }, id);

    await waitFor(() => runner.outcomes.some((o) => o.outcome === 'dead-lettered'), 'dead-lettered', 15_000);
    expect(runner.outcomes.map((o) => [o.delivery, o.outcome])).toEqual([
      [1, 'retry'],
      [2, 'retry'],
      [3, 'dead-lettered'],
    ]);
    expect(hookCalls).toEqual([id]);
    const dl = await infra.db.query<{ deliveries: number; error: string; xid: string }>(
      `SELECT deliveries, error, xmin::text AS xid FROM ${SCHEMA}.dead_letters WHERE msg_id = $1`,
      [id],
    );
    expect(dl).toHaveLength(1);
    expect(dl[0].deliveries).toBe(3);
    expect(dl[0].error).toContain('always fails (delivery 3)');
    // The hook's row was written by the very transaction that wrote the dead letter.
    const hooks = await infra.db.query('SELECT xid, error FROM public.dead_letter_hooks WHERE msg_id = $1', [id]);
    expect(hooks).toEqual([{ xid: dl[0].xid, error: 'always fails (delivery 3)' }]);
    // None of the failed attempts left an effect; the inbox row makes a late redelivery a no-op.
    expect(await effects(id)).toBe(0);
    expect(await inboxRows(def.durable, id)).toBe(1);
    await expectSettledOnServer(def);
  });

  it('keeps the message when the dead-letter transaction itself fails, and dead-letters it on the next delivery', async () => {
    const { def, subject } = await newConsumer();
    let hookCalls = 0;
    const handler: MessageHandler<void> = {
      consumer: def,
      handle: async () => {
        throw new Error('always fails');
      },
      onDeadLetter: async (tx, msg) => {
        hookCalls++;
        await tx.query(
          "INSERT INTO public.dead_letter_hooks (msg_id, xid, error) VALUES ($1, pg_current_xact_id()::text, 'hook')",
          [msg.msgId],
        );
        if (hookCalls === 1) throw new Error('onDeadLetter failed once');
      },
    };
    const { runner, log } = newRunner(handler, { maxDeliveries: 2 });
    await runner.start();
    const id = `doomed-${randomUUID()}`;
    await publish(subject(), { key: id }, id);

    await waitFor(() => runner.outcomes.some((o) => o.outcome === 'dead-lettered'), 'dead-lettered', 15_000);
    expect(runner.outcomes.map((o) => [o.delivery, o.outcome])).toEqual([
      [1, 'retry'],
      [2, 'retry'], // the dead-letter transaction rolled back with its hook: the message stays on the server
      [3, 'dead-lettered'],
    ]);
    expect(log.lines.some((l) => l.msg.includes('dead-letter write failed'))).toBe(true);
    expect(await count(`SELECT count(*) AS n FROM ${SCHEMA}.dead_letters WHERE msg_id = $1`, [id])).toBe(1);
    expect(await count('SELECT count(*) AS n FROM public.dead_letter_hooks WHERE msg_id = $1', [id])).toBe(1);
    await expectSettledOnServer(def);
  });

  it('does not use up deliveries while the database is unavailable, and applies the message once it is back', async () => {
    const { def, subject } = await newConsumer();
    const handler: MessageHandler<void> = {
      consumer: def,
      handle: async (tx, msg) => {
        // Deliveries 1-4 see Postgres "shutting down" (57P01), beyond maxDeliveries = 2.
        if (msg.deliveryCount <= 4) throw Object.assign(new Error('terminating connection'), { code: '57P01' });
        await tx.query('INSERT INTO public.effects (msg_id, key, delivery) VALUES ($1, $2, $3)', [
          msg.msgId,
          'outage',
          msg.deliveryCount,
        ]);
      },
    };
    const { runner } = newRunner(handler, { maxDeliveries: 2 });
    await runner.start();
    const id = `outage-${randomUUID()}`;
    await publish(subject(), { key: id }, id);

    await waitFor(() => runner.outcomes.some((o) => o.outcome === 'applied'), 'applied after the outage', 20_000);
    expect(runner.outcomes.map((o) => [o.delivery, o.outcome])).toEqual([
      [1, 'retry'],
      [2, 'retry'],
      [3, 'retry'],
      [4, 'retry'],
      [5, 'applied'],
    ]);
    expect(await effects(id)).toBe(1);
    expect(await count(`SELECT count(*) AS n FROM ${SCHEMA}.dead_letters WHERE msg_id = $1`, [id])).toBe(0);
    await expectSettledOnServer(def);
  });

  it('applies 200 messages once each with 16 at a time', async () => {
    const { def, subject } = await newConsumer(5);
    let inFlight = 0;
    let maxInFlight = 0;
    const handler: MessageHandler<void> = {
      consumer: def,
      handle: async (tx, msg) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        try {
          await tx.query('SELECT pg_sleep(0.01)');
          await tx.query('INSERT INTO public.effects (msg_id, key, delivery) VALUES ($1, $2, $3)', [
            msg.msgId,
            'conc',
            msg.deliveryCount,
          ]);
        } finally {
          inFlight--;
        }
      },
    };
    // Two runners on one durable (two replicas), each with concurrency 16.
    const a = newRunner(handler, { concurrency: 16 });
    const b = newRunner(handler, { concurrency: 16 }, await infra.newDataSource(20));
    const ids = Array.from({ length: 200 }, (_, i) => `conc-${randomUUID()}-${i}`);
    await Promise.all(ids.map((id) => publish(subject(), { key: id }, id)));
    await a.runner.start();
    await b.runner.start();

    await waitFor(() => a.runner.outcomes.length + b.runner.outcomes.length >= 200, 'all 200 settled', 25_000);
    await expectSettledOnServer(def);
    const all = [...a.runner.outcomes, ...b.runner.outcomes];
    expect(all.filter((o) => o.outcome !== 'applied')).toEqual([]);
    const perId = await infra.db.query<{ msg_id: string; n: string }>(
      'SELECT msg_id, count(*) AS n FROM public.effects WHERE msg_id = ANY($1) GROUP BY msg_id HAVING count(*) <> 1',
      [ids],
    );
    expect(perId).toEqual([]);
    expect(await count('SELECT count(DISTINCT msg_id) AS n FROM public.effects WHERE msg_id = ANY($1)', [ids])).toBe(
      200,
    );
    expect(maxInFlight).toBeGreaterThan(1);
    expect(maxInFlight).toBeLessThanOrEqual(32);
  });

  it('never runs more than `concurrency` handlers at once in one runner (batchMax 1: one message per transaction)', async () => {
    const { def, subject } = await newConsumer(5);
    let inFlight = 0;
    let maxInFlight = 0;
    const handler: MessageHandler<void> = {
      consumer: def,
      handle: async (tx) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await tx.query('SELECT pg_sleep(0.02)');
        inFlight--;
      },
    };
    const { runner } = newRunner(handler, { concurrency: 3, batchMax: 1 });
    await Promise.all(Array.from({ length: 30 }, (_, i) => publish(subject(), { i }, `lim-${randomUUID()}`)));
    await runner.start();
    await waitFor(() => runner.outcomes.length >= 30, 'all settled');
    expect(maxInFlight).toBe(3);
  });

  it('keeps the message locked while a slow prepare runs past ack_wait (no parallel redelivery)', async () => {
    const { def, subject } = await newConsumer(1);
    let prepares = 0;
    const handler: MessageHandler<number> = {
      consumer: def,
      prepare: async () => {
        prepares++;
        await sleep(2500);
        return 1;
      },
      handle: async (tx, msg) => {
        await tx.query('INSERT INTO public.effects (msg_id, key, delivery) VALUES ($1, $2, $3)', [
          msg.msgId,
          'slow',
          msg.deliveryCount,
        ]);
      },
    };
    const { runner } = newRunner(handler, { concurrency: 4 });
    await runner.start();
    const id = `slow-${randomUUID()}`;
    await publish(subject(), { key: id }, id);
    await waitFor(() => runner.outcomes.length >= 1, 'slow message settled');
    await sleep(300);
    expect(runner.outcomes).toEqual([{ msgId: id, delivery: 1, outcome: 'applied' }]);
    expect(prepares).toBe(1);
    expect(await effects(id)).toBe(1);
  });

  it('stops extending a delivery after maxWorkingMs, so a stuck prepare cannot hold a message forever', async () => {
    const { def, subject } = await newConsumer(1);
    let prepares = 0;
    let release: () => void = () => undefined;
    const stuck = new Promise<void>((r) => (release = r));
    const handler: MessageHandler<void> = {
      consumer: def,
      prepare: async (msg) => {
        prepares++;
        if (msg.deliveryCount === 1) await stuck;
      },
      handle: async (tx, msg) => {
        await tx.query('INSERT INTO public.effects (msg_id, key, delivery) VALUES ($1, $2, $3)', [
          msg.msgId,
          'stuck',
          msg.deliveryCount,
        ]);
      },
    };
    const { runner } = newRunner(handler, { concurrency: 2, maxWorkingMs: 1500 });
    await runner.start();
    const id = `stuck-${randomUUID()}`;
    const t0 = Date.now();
    await publish(subject(), { key: id }, id);
    // Heartbeats hold it past ack_wait (1 s) up to maxWorkingMs; the server redelivers one ack_wait
    // after the last heartbeat, and the second delivery does the work.
    await waitFor(
      () => runner.outcomes.some((o) => o.delivery === 2 && o.outcome === 'applied'),
      'redelivery of the stuck message',
      10_000,
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1500);
    release();
    await waitFor(() => runner.outcomes.length >= 2, 'stuck delivery settled');
    expect(runner.outcomes.find((o) => o.delivery === 1)?.outcome).toBe('duplicate');
    expect(prepares).toBe(2);
    expect(await effects(id)).toBe(1);
  });

  it('stop() lets in-flight messages settle, and another runner takes what is left', async () => {
    const { def, subject } = await newConsumer(1);
    let entered: () => void = () => undefined;
    const inHandler = new Promise<void>((r) => (entered = r));
    const handler = new EffectHandler(def, {
      afterEffect: async () => {
        entered();
        await sleep(300);
      },
    });
    const first = newRunner(handler, { concurrency: 1 });
    const ids = Array.from({ length: 5 }, (_, i) => `stop-${randomUUID()}-${i}`);
    for (const id of ids) await publish(subject(), { key: id }, id);
    await first.runner.start();
    await inHandler;
    await first.runner.stop();
    // The message being handled when stop() was called was committed and acknowledged.
    expect(first.runner.outcomes.length).toBeGreaterThanOrEqual(1);
    expect(first.runner.outcomes.every((o) => o.outcome === 'applied')).toBe(true);

    const second = newRunner(new EffectHandler(def), { concurrency: 4 });
    await second.runner.start();
    await waitFor(
      async () =>
        (await count('SELECT count(*) AS n FROM public.effects WHERE msg_id = ANY($1)', [ids])) === ids.length,
      'all applied',
      10_000,
    );
    await expectSettledOnServer(def);
    for (const id of ids) expect(await effects(id)).toBe(1);
  });

  it('logs a warning when its durable is deleted on the server, and none while it idles', async () => {
    const { def } = await newConsumer();
    const { runner, log } = newRunner(new EffectHandler(def));
    await runner.start();
    // One pull expires (408) and is renewed while idle: routine, not worth a line.
    await sleep(6_000);
    expect(log.lines.filter((l) => l.level === 'warn')).toEqual([]);
    await infra.jsm.consumers.delete(def.stream, def.durable);
    await waitFor(
      () => log.lines.some((l) => l.level === 'warn' && l.msg.startsWith('consumer deleted on the server')),
      'consumer-deleted warning',
    );
  }, 20_000);

  it('keeps consuming across a NATS server restart', async () => {
    const { def, subject } = await newConsumer();
    const handler = new EffectHandler(def);
    const { runner } = newRunner(handler);
    await runner.start();
    const before = `before-${randomUUID()}`;
    await publish(subject(), { key: before }, before);
    await waitFor(() => runner.outcomes.length >= 1, 'first settled');

    await infra.nats.stop();
    await infra.nats.restart();
    const after = `after-${randomUUID()}`;
    await waitFor(
      async () =>
        publish(subject(), { key: after }, after).then(
          () => true,
          () => false,
        ),
      'publish after restart',
      15_000,
    );
    await waitFor(() => runner.outcomes.length >= 2, 'message after restart consumed', 20_000);
    expect(await effects(after)).toBe(1);
  });
});
