import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { INestMicroservice } from '@nestjs/common';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { firstValueFrom } from 'rxjs';
import {
  escalationId,
  payloadHash,
  PLAN_GATE_CHOICES,
  rpc,
  subjects,
  TimeoutAction,
  type DeadlinePassedEvent,
  type GateDecidedEvent,
  type GateOpenedEvent,
  type GateRequestedEvent,
  type RunUpdatedEvent,
} from '@gatehouse/contracts';
import { CONSUMERS, provisionStreams, RpcErrorFilter, rpcServerOptions, STREAMS } from '@gatehouse/messaging';
import { createTestDatabase, type TestDatabase } from '../../../tools/test-support/database';
import { startNatsServer, type NatsServerHandle } from '../../../tools/test-support/nats-server';

/**
 * The gates service in-process (its real AppModule) against a private nats-server and a fresh
 * database: gate requests and bus replies go through JetStream, commands through request/reply,
 * and every assertion is made on the SQL tables.
 */
describe('gates service (integration)', () => {
  let nats: NatsServerHandle;
  let db: TestDatabase;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let app: INestMicroservice;
  let client: ClientProxy;

  beforeAll(async () => {
    [nats, db] = await Promise.all([startNatsServer('gates'), createTestDatabase('gates')]);
    nc = await connect({ servers: nats.url });
    await provisionStreams(nc);
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
    Object.assign(process.env, {
      DATABASE_URL: db.url,
      NATS_URL: nats.url,
      LOG_LEVEL: 'warn',
      HITL_GATE_TIMEOUT_S: '600',
      DB_POOL_MAX: '8',
      GATEHOUSE_SERVICE: 'gates',
    });
    // ConfigModule validates the environment when the module is loaded, so load it only now.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { AppModule } = require('./app.module') as typeof import('./app.module');
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestMicroservice(rpcServerOptions('gates', nats.url));
    app.useLogger(['error', 'warn']);
    app.useGlobalFilters(new RpcErrorFilter());
    await app.listen();
    client = ClientProxyFactory.create({ transport: Transport.NATS, options: { servers: [nats.url] } });
    await client.connect();
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await app?.close();
    await nc?.close();
    await nats?.stop();
    await db?.drop();
  });

  // ---- helpers -------------------------------------------------------------------------------

  type Answer<T = any> = { ok: true; body: T } | { ok: false; error: string; message: string };

  async function call<T = any>(pattern: string, data: unknown): Promise<Answer<T>> {
    try {
      return { ok: true, body: await firstValueFrom(client.send<T>(pattern, data)) };
    } catch (err) {
      const e = err as { error?: string; message?: string };
      if (typeof e?.error !== 'string') throw err;
      return { ok: false, error: e.error, message: String(e.message) };
    }
  }

  async function eventually<T>(
    probe: () => Promise<T | undefined | false>,
    what: string,
    timeoutMs = 15_000,
  ): Promise<T> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const count = async (sql: string, params: unknown[]) =>
    (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params))[0].n;

  /** Rows of one run in every table the gates service writes. */
  async function rowsOf(wid: string) {
    return {
      gates: await count(`gates.gates WHERE workflow_id = $1`, [wid]),
      interactions: await count(`gates.human_interactions WHERE workflow_id = $1`, [wid]),
      events: await count(`gates.workflow_events WHERE workflow_id = $1`, [wid]),
      outbox: await count(`gates.outbox WHERE msg_id LIKE '%' || $1 || '%'`, [wid]),
    };
  }

  const audit = (wid: string, g: string) =>
    db.query<{ outcome: string; audit_key: string; value: any }>(
      `SELECT value->>'outcome' AS outcome, audit_key, value FROM gates.workflow_events WHERE workflow_id = $1 AND key = $2 ORDER BY id`,
      [wid, `ui:${g}:audit`],
    );

  const eventValue = async (wid: string, key: string) =>
    (
      await db.query<{ value: any }>(`SELECT value FROM gates.workflow_events WHERE workflow_id = $1 AND key = $2`, [
        wid,
        key,
      ])
    ).map((r) => r.value);

  /** Waits until the consumer committed the message (its inbox row and its effects are one transaction). */
  const processed = (consumer: string, msgId: string) =>
    eventually(
      async () => (await count(`gates.inbox WHERE consumer = $1 AND msg_id = $2`, [consumer, msgId])) === 1,
      `${consumer} to process ${msgId}`,
    );

  function gateRequest(wid: string, g = 'approve-plan'): GateRequestedEvent {
    return {
      workflowId: wid,
      gateKey: g,
      title: `Approve ${g}`,
      plan: { steps: ['a', 'b'] },
      planHash: payloadHash({ steps: ['a', 'b'] }),
      choices: PLAN_GATE_CHOICES,
      recipeName: 'agent-plan',
    };
  }

  async function requestGate(wid: string, g = 'approve-plan', msgId = `gate-requested:${wid}:${g}`): Promise<void> {
    await js.publish(subjects.gateRequested(wid, g), JSON.stringify(gateRequest(wid, g)), { msgID: msgId });
    await processed(CONSUMERS.gatesGateRequested.durable, msgId);
  }

  async function publishOn(subject: string, body: string, msgId: string, consumer: string): Promise<void> {
    await js.publish(subject, body, { msgID: msgId });
    await processed(consumer, msgId);
  }

  /** The message the outbox relay published on the events stream for `subject`. */
  const published = <T>(subject: string) =>
    eventually(
      async () =>
        (await jsm.streams.getMessage(STREAMS.events.name, { last_by_subj: subject }).catch(() => null))?.json<T>(),
      `a message on ${subject}`,
    );

  const replyCmd = (wid: string, over: Record<string, unknown> = {}) => ({
    workflowId: wid,
    gateKey: 'approve-plan',
    topic: 'human:approve-plan',
    payload: { choice: 'yes', rationale: 'looks right' },
    dedupeKey: `dk-${wid}`,
    origin: 'rest',
    actor: 'alice',
    ...over,
  });

  // ---- tests ---------------------------------------------------------------------------------

  it('answers health', async () => {
    expect(await call(rpc.gates.health, {})).toEqual({
      ok: true,
      body: { ok: true, service: 'gates', db: true, nats: true },
    });
  });

  it('opens a gate once: prompt, audit and gate-opened exactly once however often it is requested', async () => {
    const wid = randomUUID();
    expect(await call(rpc.gates.list, { workflowId: wid })).toEqual({ ok: true, body: [] });

    await requestGate(wid, 'approve-plan', `a-${wid}`);
    await requestGate(wid, 'approve-plan', `b-${wid}`); // a repeated request with another message id
    await js.publish(subjects.gateRequested(wid, 'approve-plan'), JSON.stringify(gateRequest(wid)), {
      msgID: `a-${wid}`,
    }); // dropped by the stream

    expect(await rowsOf(wid)).toEqual({ gates: 1, interactions: 0, events: 2, outbox: 1 });
    const [gate] = await db.query<any>(
      `SELECT state, topic, recipe_name, closed_at, extract(epoch FROM deadline_at - opened_at)::int AS window_s FROM gates.gates WHERE workflow_id = $1`,
      [wid],
    );
    expect(gate).toEqual({
      state: 'PENDING',
      topic: 'human:approve-plan',
      recipe_name: 'agent-plan',
      closed_at: null,
      window_s: 600,
    });
    const [prompt] = await eventValue(wid, 'ui:approve-plan');
    expect(prompt).toMatchObject({
      schemaVersion: 1,
      gateKey: 'approve-plan',
      title: 'Approve approve-plan',
      plan: { steps: ['a', 'b'] },
      choices: PLAN_GATE_CHOICES,
      policy: { timeoutS: 600, timeoutAction: 'reject', escalationChain: [], requireRationale: false },
    });
    expect((await audit(wid, 'approve-plan')).map((a) => a.outcome)).toEqual(['opened']);

    const opened = await published<GateOpenedEvent>(subjects.gateOpened(wid, 'approve-plan'));
    expect(opened).toEqual({
      workflowId: wid,
      gateKey: 'approve-plan',
      deadlineAt: prompt.deadlineAt,
      policy: prompt.policy,
    });

    const list = await call(rpc.gates.list, { workflowId: wid });
    expect(list).toEqual({
      ok: true,
      body: [
        expect.objectContaining({
          gateKey: 'approve-plan',
          state: 'PENDING',
          topic: 'human:approve-plan',
          deadlineAt: prompt.deadlineAt,
          closedAt: null,
        }),
      ],
    });
    const detail = await call(rpc.gates.get, { workflowId: wid, gateKey: 'approve-plan' });
    expect(detail).toEqual({
      ok: true,
      body: expect.objectContaining({ state: 'PENDING', prompt, result: null, decision: null }),
    });
    expect(await call(rpc.gates.pendingPlanGate, { workflowId: wid })).toEqual({
      ok: true,
      body: expect.objectContaining({ gateKey: 'approve-plan', state: 'PENDING' }),
    });
  });

  it('accepts a reply once; a replay is a duplicate with no writes; drift is a 409 audited once per payload; a late reply is 409 GATE_CLOSED', async () => {
    const wid = randomUUID();
    await requestGate(wid);
    const payload = {
      choice: 'yes',
      rationale: 'looks right',
      patch: [{ op: 'replace', path: '/steps/0', value: 'c' }],
    };
    const cmd = replyCmd(wid, { payload });

    expect(await call(rpc.gates.reply, cmd)).toEqual({
      ok: true,
      body: { ok: true, state: 'RECEIVED', duplicate: false },
    });
    const ledger = await db.query<any>(
      `SELECT topic, dedupe_key, payload, payload_hash, origin, actor FROM gates.human_interactions WHERE workflow_id = $1`,
      [wid],
    );
    expect(ledger).toEqual([
      {
        topic: 'human:approve-plan',
        dedupe_key: cmd.dedupeKey,
        payload: cmd.payload,
        payload_hash: payloadHash(cmd.payload),
        origin: 'rest',
        actor: 'alice',
      },
    ]);
    const [gate] = await db.query<any>(`SELECT state, closed_at FROM gates.gates WHERE workflow_id = $1`, [wid]);
    expect(gate.state).toBe('RECEIVED');
    expect(gate.closed_at).toBeInstanceOf(Date);
    const [result] = await eventValue(wid, 'ui:approve-plan:result');
    expect(result).toEqual({
      choice: 'yes',
      rationale: 'looks right',
      dedupeKey: cmd.dedupeKey,
      origin: 'rest',
      actor: 'alice',
      payloadHash: payloadHash(cmd.payload),
      at: expect.any(String),
    });
    expect(await eventValue(wid, 'decision:approve-plan')).toEqual([
      { decision: 'approve', by: 'human', at: result.at },
    ]);
    const decided = await published<GateDecidedEvent>(subjects.gateDecided(wid, 'approve-plan'));
    expect(decided).toEqual({
      workflowId: wid,
      gateKey: 'approve-plan',
      state: 'RECEIVED',
      decision: 'approve',
      by: 'human',
      choice: 'yes',
      rationale: 'looks right',
      patch: payload.patch,
      actor: 'alice',
      at: result.at,
    });
    const afterAccept = await rowsOf(wid);
    expect(afterAccept).toEqual({ gates: 1, interactions: 1, events: 5, outbox: 2 });

    // Replay: same key, same payload (keys in another order), same topic.
    const replay = { ...cmd, payload: { patch: payload.patch, rationale: 'looks right', choice: 'yes' } };
    for (let i = 0; i < 2; i++) {
      expect(await call(rpc.gates.reply, replay)).toEqual({
        ok: true,
        body: { ok: true, state: 'RECEIVED', duplicate: true },
      });
    }
    expect(await rowsOf(wid)).toEqual(afterAccept);

    // Drift: same key, another payload; audited once per distinct payload, ledger keeps the first.
    for (const rationale of ['changed my mind', 'changed my mind', 'again']) {
      const r = await call(rpc.gates.reply, { ...cmd, payload: { choice: 'no', rationale } });
      expect(r).toMatchObject({ ok: false, error: 'DEDUPE_CONFLICT' });
    }
    const conflicts = (await audit(wid, 'approve-plan')).filter((a) => a.outcome === 'conflict');
    expect(conflicts).toHaveLength(2);
    expect(conflicts[0].value).toMatchObject({
      dedupeKey: cmd.dedupeKey,
      topic: 'human:approve-plan',
      payloadHash: payloadHash({ choice: 'no', rationale: 'changed my mind' }),
    });
    expect(await db.query(`SELECT payload FROM gates.human_interactions WHERE workflow_id = $1`, [wid])).toEqual([
      { payload: cmd.payload },
    ]);

    // Late: a new key on a closed gate; audited once per key; the gate keeps its state.
    for (let i = 0; i < 2; i++) {
      expect(await call(rpc.gates.reply, replyCmd(wid, { dedupeKey: `late-${wid}` }))).toMatchObject({
        ok: false,
        error: 'GATE_CLOSED',
      });
    }
    expect((await audit(wid, 'approve-plan')).map((a) => a.outcome)).toEqual([
      'opened',
      'accepted',
      'conflict',
      'conflict',
      'late',
    ]);
    expect(await rowsOf(wid)).toEqual({ ...afterAccept, events: afterAccept.events + 3 });
    expect((await db.query<any>(`SELECT state FROM gates.gates WHERE workflow_id = $1`, [wid]))[0].state).toBe(
      'RECEIVED',
    );

    const detail = await call(rpc.gates.get, { workflowId: wid, gateKey: 'approve-plan' });
    expect(detail).toMatchObject({
      ok: true,
      body: { state: 'RECEIVED', result, decision: { decision: 'approve', by: 'human' } },
    });
    expect(await call(rpc.gates.pendingPlanGate, { workflowId: wid })).toMatchObject({
      ok: false,
      error: 'NO_PENDING_GATE',
    });
  });

  it('refuses bad replies with zero writes: bad choice 400, bad shape 400, unknown gate or run 404', async () => {
    const wid = randomUUID();
    await requestGate(wid);
    const before = await rowsOf(wid);
    const cases: [Record<string, unknown>, string][] = [
      [replyCmd(wid, { payload: { choice: 'maybe' } }), 'INVALID_CHOICE'],
      [replyCmd(wid, { payload: { choice: 'yes', extra: true } }), 'VALIDATION_FAILED'],
      [replyCmd(wid, { payload: [{ choice: 'yes' }] }), 'VALIDATION_FAILED'],
      [replyCmd(wid, { dedupeKey: undefined }), 'VALIDATION_FAILED'],
      [replyCmd(wid, { gateKey: 'Approve-Plan' }), 'INVALID_GATE_KEY'],
      [replyCmd(wid, { topic: 'human:other' }), 'TOPIC_MISMATCH'],
      [replyCmd(wid, { gateKey: 'other', topic: 'human:other' }), 'GATE_NOT_FOUND'],
      [replyCmd(randomUUID()), 'GATE_NOT_FOUND'],
      [replyCmd('not-a-uuid'), 'GATE_NOT_FOUND'],
    ];
    for (const [cmd, code] of cases) {
      expect(await call(rpc.gates.reply, cmd)).toMatchObject({ ok: false, error: code });
    }
    expect(await rowsOf(wid)).toEqual(before);
    expect((await db.query<any>(`SELECT state FROM gates.gates WHERE workflow_id = $1`, [wid]))[0].state).toBe(
      'PENDING',
    );

    expect(await call(rpc.gates.get, { workflowId: wid, gateKey: 'nope' })).toMatchObject({
      ok: false,
      error: 'GATE_NOT_FOUND',
    });
    expect(await call(rpc.gates.get, { workflowId: 'x', gateKey: 'approve-plan' })).toMatchObject({
      ok: false,
      error: 'GATE_NOT_FOUND',
    });
    expect(await call(rpc.gates.get, { workflowId: wid, gateKey: 'BAD KEY' })).toMatchObject({
      ok: false,
      error: 'INVALID_GATE_KEY',
    });
    expect(await call(rpc.gates.pendingPlanGate, { workflowId: randomUUID() })).toMatchObject({
      ok: false,
      error: 'GATE_NOT_FOUND',
    });
    expect(await call(rpc.gates.list, { workflowId: 'x' })).toEqual({ ok: true, body: [] });
    expect(await call(rpc.gates.list, {})).toMatchObject({ ok: false, error: 'VALIDATION_FAILED' });
  });

  it('serialises concurrent replies on one gate: exactly one is accepted', async () => {
    const wid = randomUUID();
    await requestGate(wid);
    const distinct = Array.from({ length: 8 }, (_, i) =>
      call(rpc.gates.reply, replyCmd(wid, { dedupeKey: `k${i}-${wid}`, payload: { choice: i % 2 ? 'yes' : 'no' } })),
    );
    const sameKey = Array.from({ length: 4 }, () => call(rpc.gates.reply, replyCmd(wid, { dedupeKey: `same-${wid}` })));
    const answers = await Promise.all([...distinct, ...sameKey]);
    const accepted = answers.filter((a) => a.ok && !a.body.duplicate);
    expect(accepted).toHaveLength(1);
    for (const a of answers) {
      if (a.ok) expect(a.body.state).toBe('RECEIVED');
      else expect(['GATE_CLOSED', 'DEDUPE_CONFLICT']).toContain(a.error);
    }
    expect(await count(`gates.human_interactions WHERE workflow_id = $1`, [wid])).toBe(1);
    expect(await eventValue(wid, 'decision:approve-plan')).toHaveLength(1);
    expect(await eventValue(wid, 'ui:approve-plan:result')).toHaveLength(1);
  });

  it('takes replies from human.<wid>.<g> on JetStream with the same rules, and never retries a refused one', async () => {
    const wid = randomUUID();
    await requestGate(wid);
    const ingress = CONSUMERS.gatesHumanIngress.durable;
    const subject = `human.${wid}.approve-plan`;
    const body = JSON.stringify({
      payload: { choice: 'yes', rationale: 'via bus' },
      dedupeKey: `bus-${wid}`,
      origin: 'ci-bot',
    });
    await publishOn(subject, body, `m1-${wid}`, ingress);
    await publishOn(subject, body, `m2-${wid}`, ingress);
    expect(
      await db.query(`SELECT dedupe_key, origin, actor, payload FROM gates.human_interactions WHERE workflow_id = $1`, [
        wid,
      ]),
    ).toEqual([
      { dedupe_key: `bus-${wid}`, origin: 'ci-bot', actor: null, payload: { choice: 'yes', rationale: 'via bus' } },
    ]);
    expect((await db.query<any>(`SELECT state FROM gates.gates WHERE workflow_id = $1`, [wid]))[0].state).toBe(
      'RECEIVED',
    );
    expect(await published<GateDecidedEvent>(subjects.gateDecided(wid, 'approve-plan'))).toMatchObject({
      decision: 'approve',
      by: 'human',
      rationale: 'via bus',
    });

    // A refused bus reply: audited as rejected_message (the gate exists), once per distinct body, acknowledged.
    const bad = JSON.stringify({ payload: { choice: 'maybe' }, dedupeKey: `bad-${wid}` });
    await publishOn(subject, bad, `m3-${wid}`, ingress);
    await publishOn(subject, bad, `m4-${wid}`, ingress);
    // Drift and late over the bus are audited by the rules themselves.
    await publishOn(
      subject,
      JSON.stringify({ payload: { choice: 'no' }, dedupeKey: `bus-${wid}` }),
      `m5-${wid}`,
      ingress,
    );
    await publishOn(
      subject,
      JSON.stringify({ payload: { choice: 'no' }, dedupeKey: `other-${wid}` }),
      `m6-${wid}`,
      ingress,
    );
    const outcomes = (await audit(wid, 'approve-plan')).map((a) => a.outcome);
    expect(outcomes).toEqual(['opened', 'accepted', 'rejected_message', 'conflict', 'late']);
    const [rejected] = (await audit(wid, 'approve-plan')).filter((a) => a.outcome === 'rejected_message');
    expect(rejected.value).toMatchObject({ dedupeKey: `bad-${wid}`, detail: { error: 'INVALID_CHOICE' } });

    // Unknown gate and unknown run: settled with zero writes.
    const unknownRun = randomUUID();
    await publishOn(`human.${wid}.nope`, body, `m7-${wid}`, ingress);
    await publishOn(`human.${unknownRun}.approve-plan`, body, `m8-${wid}`, ingress);
    await publishOn(`human.not-a-uuid.approve-plan`, body, `m9-${wid}`, ingress);
    expect(await rowsOf(unknownRun)).toEqual({ gates: 0, interactions: 0, events: 0, outbox: 0 });
    expect(await count(`gates.workflow_events WHERE workflow_id = $1 AND key <> 'ui:approve-plan:audit'`, [wid])).toBe(
      3,
    );
    expect(await count(`gates.dead_letters WHERE consumer = $1`, [ingress])).toBe(0);

    // Not JSON: poison, dead-lettered at once (visible), not retried.
    await publishOn(subject, '{not json', `m10-${wid}`, ingress);
    expect(await db.query(`SELECT msg_id, deliveries FROM gates.dead_letters WHERE consumer = $1`, [ingress])).toEqual([
      { msg_id: `m10-${wid}`, deliveries: 1 },
    ]);
  });

  it('times out a PENDING gate once when its deadline passes, and leaves a closed gate alone', async () => {
    const wid = randomUUID();
    await requestGate(wid);
    const g = 'approve-plan';
    const ev: DeadlinePassedEvent = {
      workflowId: wid,
      gateKey: g,
      deadlineAt: new Date().toISOString(),
      action: TimeoutAction.REJECT,
      escalationId: escalationId(wid, g),
    };
    const consumer = CONSUMERS.gatesDeadlinePassed.durable;
    await publishOn(subjects.deadlinePassed(wid, g), JSON.stringify(ev), `deadline-passed:${wid}:${g}`, consumer);
    await publishOn(subjects.deadlinePassed(wid, g), JSON.stringify(ev), `again-${wid}`, consumer);

    const [gate] = await db.query<any>(`SELECT state, closed_at FROM gates.gates WHERE workflow_id = $1`, [wid]);
    expect(gate.state).toBe('TIMED_OUT');
    expect(gate.closed_at).toBeInstanceOf(Date);
    expect(await eventValue(wid, `decision:${g}`)).toEqual([
      { decision: 'timeout', by: 'timer', at: expect.any(String) },
    ]);
    expect(await eventValue(wid, `ui:${g}:result`)).toEqual([]);
    expect((await audit(wid, g)).map((a) => a.outcome)).toEqual(['opened', 'timed_out']);
    expect(await published<GateDecidedEvent>(subjects.gateDecided(wid, g))).toMatchObject({
      state: 'TIMED_OUT',
      decision: 'timeout',
      by: 'timer',
      choice: null,
      actor: null,
    });
    expect(await call(rpc.gates.reply, replyCmd(wid))).toMatchObject({ ok: false, error: 'GATE_CLOSED' });
    expect(await count(`gates.human_interactions WHERE workflow_id = $1`, [wid])).toBe(0);

    // A deadline on a gate that was already answered changes nothing.
    const answered = randomUUID();
    await requestGate(answered);
    expect(await call(rpc.gates.reply, replyCmd(answered))).toMatchObject({ ok: true });
    const before = await rowsOf(answered);
    await publishOn(
      subjects.deadlinePassed(answered, g),
      JSON.stringify({ ...ev, workflowId: answered }),
      `d-${answered}`,
      consumer,
    );
    expect(await rowsOf(answered)).toEqual(before);
    expect(await eventValue(answered, `decision:${g}`)).toEqual([
      expect.objectContaining({ decision: 'approve', by: 'human' }),
    ]);
  });

  it('auto-approves on timeout only when the gate policy allows it (fail-closed)', async () => {
    const wid = randomUUID();
    await requestGate(wid);
    const ev: DeadlinePassedEvent = {
      workflowId: wid,
      gateKey: 'approve-plan',
      deadlineAt: '',
      action: TimeoutAction.APPROVE,
      escalationId: escalationId(wid, 'approve-plan'),
    };
    await publishOn(
      subjects.deadlinePassed(wid, 'approve-plan'),
      JSON.stringify(ev),
      `d-${wid}`,
      CONSUMERS.gatesDeadlinePassed.durable,
    );
    // The gate's policy says `reject`, so the timer's `approve` is not trusted.
    expect(await eventValue(wid, 'decision:approve-plan')).toEqual([
      expect.objectContaining({ decision: 'timeout', by: 'timer' }),
    ]);
    await db.query(
      `UPDATE gates.gates SET policy = jsonb_set(policy, '{timeoutAction}', '"approve"') WHERE workflow_id = $1`,
      [wid],
    );
    const wid2 = randomUUID();
    await requestGate(wid2);
    await db.query(
      `UPDATE gates.gates SET policy = jsonb_set(policy, '{timeoutAction}', '"approve"') WHERE workflow_id = $1`,
      [wid2],
    );
    await publishOn(
      subjects.deadlinePassed(wid2, 'approve-plan'),
      JSON.stringify({ ...ev, workflowId: wid2 }),
      `d-${wid2}`,
      CONSUMERS.gatesDeadlinePassed.durable,
    );
    expect(await eventValue(wid2, 'decision:approve-plan')).toEqual([
      expect.objectContaining({ decision: 'approve', by: 'timer' }),
    ]);
    expect((await db.query<any>(`SELECT state FROM gates.gates WHERE workflow_id = $1`, [wid2]))[0].state).toBe(
      'TIMED_OUT',
    );
  });

  it('cancels the PENDING gates of a run that ended, and opens no gate for it afterwards', async () => {
    const wid = randomUUID();
    await requestGate(wid, 'approve-plan');
    await requestGate(wid, 'deploy-check');
    expect(await call(rpc.gates.reply, replyCmd(wid))).toMatchObject({ ok: true });
    const consumer = CONSUMERS.gatesRunUpdated.durable;
    const update = (status: string, version: number): RunUpdatedEvent => ({
      workflowID: wid,
      status: status as RunUpdatedEvent['status'],
      nextAction: 'NONE',
      lastStep: null,
      error: null,
      version,
      at: new Date().toISOString(),
    });

    await publishOn(subjects.runUpdated(wid), JSON.stringify(update('PENDING', 2)), `run-updated:${wid}:2`, consumer);
    expect(
      await db.query(`SELECT gate_key, state FROM gates.gates WHERE workflow_id = $1 ORDER BY gate_key`, [wid]),
    ).toEqual([
      { gate_key: 'approve-plan', state: 'RECEIVED' },
      { gate_key: 'deploy-check', state: 'PENDING' },
    ]);

    await publishOn(subjects.runUpdated(wid), JSON.stringify(update('CANCELLED', 3)), `run-updated:${wid}:3`, consumer);
    expect(
      await db.query(`SELECT gate_key, state FROM gates.gates WHERE workflow_id = $1 ORDER BY gate_key`, [wid]),
    ).toEqual([
      { gate_key: 'approve-plan', state: 'RECEIVED' },
      { gate_key: 'deploy-check', state: 'CANCELLED' },
    ]);
    expect((await audit(wid, 'deploy-check')).map((a) => a.outcome)).toEqual(['opened', 'cancelled']);
    expect(await eventValue(wid, 'decision:deploy-check')).toEqual([]);
    expect(
      await call(
        rpc.gates.reply,
        replyCmd(wid, { gateKey: 'deploy-check', topic: 'human:deploy-check', dedupeKey: `c-${wid}` }),
      ),
    ).toMatchObject({ ok: false, error: 'GATE_CLOSED' });

    // A gate request that arrives after the run ended (out of order) opens nothing.
    await requestGate(wid, 'late-gate');
    expect(await count(`gates.gates WHERE workflow_id = $1 AND gate_key = 'late-gate'`, [wid])).toBe(0);
    expect(await count(`gates.workflow_events WHERE workflow_id = $1 AND key LIKE 'ui:late-gate%'`, [wid])).toBe(0);
  });
});
