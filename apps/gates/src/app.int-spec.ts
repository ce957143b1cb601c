import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  subjectFilters,
  subjects,
  sysSubjects,
  TimeoutAction,
  type DeadlinePassedEvent,
  type GateDecidedEvent,
  type GateOpenedEvent,
  type GateRequestedEvent,
  RunStatus,
} from '@gatehouse/contracts';
import { CONSUMERS, Metrics, provisionStreams, RpcErrorFilter, rpcServerOptions, STREAMS } from '@gatehouse/messaging';
import { createTestDatabase, type TestDatabase } from '../../../tools/test-support/database';
import { startNatsServer, type NatsServerHandle } from '../../../tools/test-support/nats-server';
import { runSnapshot } from './test/run-events';

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

  /** The gates service's reply counters, by outcome, for one surface. */
  async function replyCounts(surface: 'rpc' | 'jetstream'): Promise<Record<string, number>> {
    const metric = app.get(Metrics).registry.getSingleMetric('gatehouse_gate_replies_total');
    const { values } = await metric!.get();
    return Object.fromEntries(
      values.filter((v) => v.labels.surface === surface).map((v) => [v.labels.outcome, v.value]),
    );
  }
  const delta = (after: Record<string, number>, before: Record<string, number>) =>
    Object.fromEntries(
      Object.entries(after)
        .map(([k, v]) => [k, v - (before[k] ?? 0)])
        .filter(([, v]) => v !== 0),
    );
  let client: ClientProxy;
  let policyDir: string;

  /** `deploy` runs escalate through two approver groups; `data-migration` runs auto-approve; others reject. */
  const POLICY_FILE = {
    recipes: {
      deploy: {
        'approve-plan': {
          timeoutS: 30,
          timeoutAction: 'escalate',
          escalationChain: [
            { group: 'sre-oncall', timeoutS: 60 },
            { group: 'eng-leads', timeoutS: 120 },
          ],
        },
      },
      'data-migration': { 'approve-plan': { timeoutAction: 'approve' } },
    },
  };

  beforeAll(async () => {
    policyDir = mkdtempSync(join(tmpdir(), 'gates-int-'));
    const policyFile = join(policyDir, 'policy.json');
    writeFileSync(policyFile, JSON.stringify(POLICY_FILE));
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
      GATE_POLICY_FILE: policyFile,
      DB_POOL_MAX: '8',
      GATEHOUSE_SERVICE: 'gates',
    });
    // ConfigModule validates the environment when the module is loaded, so load it only now.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { AppModule } = require('./app.module') as typeof import('./app.module');
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestMicroservice(rpcServerOptions('gates', { NATS_URL: nats.url }));
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
    if (policyDir) rmSync(policyDir, { recursive: true, force: true });
    delete process.env.GATE_POLICY_FILE;
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

  function gateRequest(wid: string, g = 'approve-plan', recipeName = 'agent-plan'): GateRequestedEvent {
    return {
      workflowId: wid,
      gateKey: g,
      title: `Approve ${g}`,
      plan: { steps: ['a', 'b'] },
      planHash: payloadHash({ steps: ['a', 'b'] }),
      choices: PLAN_GATE_CHOICES,
      recipeName,
    };
  }

  async function requestGate(
    wid: string,
    g = 'approve-plan',
    msgId = `gate-requested:${wid}:${g}`,
    recipeName = 'agent-plan',
  ): Promise<void> {
    await js.publish(subjects.gateRequested(wid, g), JSON.stringify(gateRequest(wid, g, recipeName)), { msgID: msgId });
    await processed(CONSUMERS.gatesGateRequested.durable, msgId);
  }

  /** The payload of an outbox message once the relay has published it (published_at is set after the stream's ack). */
  const publishedFromOutbox = <T = any>(msgId: string) =>
    eventually(async () => {
      const [row] = await db.query<{ subject: string; payload: T; published_at: Date | null }>(
        `SELECT subject, payload, published_at FROM gates.outbox WHERE msg_id = $1`,
        [msgId],
      );
      return row?.published_at ? { subject: row.subject, payload: row.payload } : undefined;
    }, `outbox message ${msgId} published`);

  const deadlinePassed = (wid: string, g: string, action: TimeoutAction, msgId = `deadline-passed:${wid}:${g}`) =>
    publishOn(
      subjects.deadlinePassed(wid, g),
      JSON.stringify({
        workflowId: wid,
        gateKey: g,
        deadlineAt: new Date().toISOString(),
        action,
        escalationId: escalationId(wid, g),
      } satisfies DeadlinePassedEvent),
      msgId,
      CONSUMERS.gatesDeadlinePassed.durable,
    );

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

    expect(await rowsOf(wid)).toEqual({ gates: 1, interactions: 0, events: 2, outbox: 2 });
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
      rootGateKey: 'approve-plan',
      escalationLevel: 0,
      deadlineAt: prompt.deadlineAt,
      openedAt: expect.any(String),
      policy: prompt.policy,
    });
    // The same fact for outside listeners, on sys.>.
    expect(await publishedFromOutbox(`sys:gate-opened:${wid}:approve-plan`)).toEqual({
      subject: sysSubjects.gateOpened,
      payload: opened,
    });

    const list = await call(rpc.gates.list, { workflowId: wid });
    expect(list).toEqual({
      ok: true,
      body: [
        expect.objectContaining({
          gateKey: 'approve-plan',
          rootGateKey: 'approve-plan',
          escalationLevel: 0,
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
    const countedBefore = await replyCounts('rpc');

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
    // The vote's patch made the plan version it approved; the decision names it and lists the vote.
    const approvedPlanHash = payloadHash({ steps: ['c', 'b'] });
    const vote = {
      actor: 'alice',
      choice: 'yes',
      decision: 'approve',
      dedupeKey: cmd.dedupeKey,
      origin: 'rest',
      planHash: approvedPlanHash,
      at: expect.any(String),
    };
    expect(result).toEqual({
      choice: 'yes',
      rationale: 'looks right',
      dedupeKey: cmd.dedupeKey,
      origin: 'rest',
      actor: 'alice',
      payloadHash: payloadHash(cmd.payload),
      planHash: approvedPlanHash,
      votes: [vote],
      at: expect.any(String),
    });
    expect(result.votes[0].at).toBe(result.at);
    expect(await eventValue(wid, 'decision:approve-plan')).toEqual([
      { decision: 'approve', by: 'human', planHash: approvedPlanHash, votes: [vote], at: result.at },
    ]);
    const decided = await published<GateDecidedEvent>(subjects.gateDecided(wid, 'approve-plan'));
    expect(decided).toEqual({
      workflowId: wid,
      gateKey: 'approve-plan',
      rootGateKey: 'approve-plan',
      state: 'RECEIVED',
      decision: 'approve',
      by: 'human',
      choice: 'yes',
      rationale: 'looks right',
      patch: payload.patch,
      planHash: approvedPlanHash,
      actor: 'alice',
      escalatedTo: null,
      at: result.at,
    });
    expect(await publishedFromOutbox(`sys:gate-decided:${wid}:approve-plan`)).toEqual({
      subject: sysSubjects.gateDecided,
      payload: decided,
    });
    const afterAccept = await rowsOf(wid);
    expect(afterAccept).toEqual({ gates: 1, interactions: 1, events: 5, outbox: 4 });

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
    // Every judgement counted once, by outcome.
    const pending = async () => {
      const { values } = await app.get(Metrics).registry.getSingleMetric('gatehouse_gates')!.get();
      return values.find((v) => v.labels.state === 'pending')?.value;
    };
    const pendingInDb = async () =>
      (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM gates.gates WHERE state = 'PENDING'`))[0].n;
    // Gates of earlier tests may time out meanwhile: compare with a count that held still around the scrape.
    let compared = false;
    for (let i = 0; i < 10 && !compared; i++) {
      const before = await pendingInDb();
      const scraped = await pending();
      if (before !== (await pendingInDb())) continue;
      expect(scraped).toBe(before);
      compared = true;
    }
    expect(compared).toBe(true);
    expect(delta(await replyCounts('rpc'), countedBefore)).toEqual({
      accepted: 1,
      duplicate: 2,
      DEDUPE_CONFLICT: 3,
      GATE_CLOSED: 2,
    });

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
    const countedBefore = await replyCounts('jetstream');
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
      // AUTH_MODE=off and no credential on the message: the anonymous principal.
      {
        dedupe_key: `bus-${wid}`,
        origin: 'ci-bot',
        actor: 'anonymous',
        payload: { choice: 'yes', rationale: 'via bus' },
      },
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
    expect(delta(await replyCounts('jetstream'), countedBefore)).toEqual({
      accepted: 1,
      duplicate: 1,
      INVALID_CHOICE: 2,
      DEDUPE_CONFLICT: 1,
      GATE_CLOSED: 1,
    });
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

    // Not JSON: refused like any bad reply (INVALID_JSON), audited on the gate, not retried, not dead-lettered.
    await publishOn(subject, '{not json', `m10-${wid}`, ingress);
    const [notJson] = (await audit(wid, 'approve-plan')).filter(
      (a) => a.outcome === 'rejected_message' && a.value.detail.error === 'INVALID_JSON',
    );
    expect(notJson.value).toMatchObject({ origin: 'jetstream', detail: { msgId: `m10-${wid}` } });
    expect(await count(`gates.dead_letters WHERE consumer = $1`, [ingress])).toBe(0);

    // Every refused message is announced on sys.gatehouse.rejected-reply, once per distinct message
    // (m3 and m4 are the same message); accepted ones and replays are not.
    const announced = await db.query<{ payload: any; published: boolean }>(
      `SELECT payload, published_at IS NOT NULL AS published FROM gates.outbox
       WHERE subject = $1 AND payload->>'workflowId' = ANY($2) ORDER BY id`,
      [sysSubjects.rejectedReply, [wid, unknownRun, 'not-a-uuid']],
    );
    expect(announced.map((a) => [a.payload.gateKey, a.payload.error.error, a.payload.dedupeKey ?? null])).toEqual([
      ['approve-plan', 'INVALID_CHOICE', `bad-${wid}`],
      ['approve-plan', 'DEDUPE_CONFLICT', `bus-${wid}`],
      ['approve-plan', 'GATE_CLOSED', `other-${wid}`],
      ['nope', 'GATE_NOT_FOUND', `bus-${wid}`],
      ['approve-plan', 'GATE_NOT_FOUND', `bus-${wid}`],
      ['approve-plan', 'GATE_NOT_FOUND', `bus-${wid}`],
      ['approve-plan', 'INVALID_JSON', null],
    ]);
    expect(announced[0].payload).toEqual({
      workflowId: wid,
      gateKey: 'approve-plan',
      dedupeKey: `bad-${wid}`,
      error: { error: 'INVALID_CHOICE', message: expect.any(String) },
      at: expect.any(String),
    });
    await eventually(
      async () =>
        (await count(`gates.outbox WHERE subject = $1 AND published_at IS NULL`, [sysSubjects.rejectedReply])) === 0,
      'rejected-reply announcements published',
    );
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
    const consumer = CONSUMERS.gatesRunFinished.durable;
    // A non-terminal update is not for the gates service: none of its durables is filtered on it.
    await js.publish(subjects.runUpdated(wid), JSON.stringify(runSnapshot(wid, RunStatus.PENDING, 2)), {
      msgID: `run-updated:${wid}:2`,
    });
    const gatesFilters: string[] = [];
    for await (const c of jsm.consumers.list(STREAMS.events.name)) {
      if (c.name.startsWith('gates-')) gatesFilters.push(c.config.filter_subject ?? '');
    }
    expect(gatesFilters.sort()).toEqual(
      [
        CONSUMERS.gatesGateRequested.filterSubject,
        CONSUMERS.gatesDeadlinePassed.filterSubject,
        subjectFilters.runFinished,
      ].sort(),
    );
    expect(
      await db.query(`SELECT gate_key, state FROM gates.gates WHERE workflow_id = $1 ORDER BY gate_key`, [wid]),
    ).toEqual([
      { gate_key: 'approve-plan', state: 'RECEIVED' },
      { gate_key: 'deploy-check', state: 'PENDING' },
    ]);

    await publishOn(
      subjects.runFinished(wid),
      JSON.stringify(runSnapshot(wid, RunStatus.CANCELLED, 3)),
      `run-finished:${wid}`,
      consumer,
    );
    expect(
      await db.query(`SELECT gate_key, state FROM gates.gates WHERE workflow_id = $1 ORDER BY gate_key`, [wid]),
    ).toEqual([
      { gate_key: 'approve-plan', state: 'RECEIVED' },
      { gate_key: 'deploy-check', state: 'CANCELLED' },
    ]);
    expect(await count(`gates.inbox WHERE subject LIKE 'evt.runs.run-updated.%'`, [])).toBe(0);
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
  it('under the escalate action opens a successor gate per level of the chain, then times out as reject', async () => {
    const wid = randomUUID();
    await requestGate(wid, 'approve-plan', `gate-requested:${wid}:approve-plan`, 'deploy');
    const [root] = await eventValue(wid, 'ui:approve-plan');
    expect(root.policy).toEqual({
      timeoutS: 30,
      timeoutAction: 'escalate',
      escalationChain: [
        { group: 'sre-oncall', timeoutS: 60 },
        { group: 'eng-leads', timeoutS: 120 },
      ],
      requireRationale: false,
    });

    await deadlinePassed(wid, 'approve-plan', TimeoutAction.ESCALATE);
    await deadlinePassed(wid, 'approve-plan', TimeoutAction.ESCALATE, `again-${wid}`); // a repeat changes nothing
    const gates = () =>
      db.query<any>(
        `SELECT gate_key, root_gate_key, escalation_level, state, extract(epoch FROM deadline_at - opened_at)::int AS window_s
         FROM gates.gates WHERE workflow_id = $1 ORDER BY escalation_level`,
        [wid],
      );
    expect(await gates()).toEqual([
      { gate_key: 'approve-plan', root_gate_key: null, escalation_level: 0, state: 'TIMED_OUT', window_s: 30 },
      {
        gate_key: 'approve-plan-e1',
        root_gate_key: 'approve-plan',
        escalation_level: 1,
        state: 'PENDING',
        window_s: 60,
      },
    ]);
    expect(await eventValue(wid, 'decision:approve-plan')).toEqual([
      { decision: 'timeout', by: 'timer', at: expect.any(String) },
    ]);
    const rootAudit = await audit(wid, 'approve-plan');
    expect(rootAudit.map((a) => a.outcome)).toEqual(['opened', 'timed_out', 'escalated']);
    expect(rootAudit[2].value.detail).toMatchObject({
      successorGateKey: 'approve-plan-e1',
      level: 1,
      group: 'sre-oncall',
    });

    const [e1] = await eventValue(wid, 'ui:approve-plan-e1');
    expect(e1).toMatchObject({
      gateKey: 'approve-plan-e1',
      title: root.title,
      plan: root.plan,
      planHash: root.planHash,
      choices: root.choices,
      policy: { timeoutS: 60, timeoutAction: 'escalate', escalationChain: [{ group: 'eng-leads', timeoutS: 120 }] },
      escalation: { rootGateKey: 'approve-plan', fromGateKey: 'approve-plan', level: 1, group: 'sre-oncall' },
    });
    expect((await audit(wid, 'approve-plan-e1')).map((a) => a.outcome)).toEqual(['opened']);

    expect(await published<GateDecidedEvent>(subjects.gateDecided(wid, 'approve-plan'))).toMatchObject({
      rootGateKey: 'approve-plan',
      state: 'TIMED_OUT',
      decision: 'timeout',
      by: 'timer',
      escalatedTo: 'approve-plan-e1',
    });
    expect(await published<GateOpenedEvent>(subjects.gateOpened(wid, 'approve-plan-e1'))).toMatchObject({
      gateKey: 'approve-plan-e1',
      rootGateKey: 'approve-plan',
      escalationLevel: 1,
      deadlineAt: e1.deadlineAt,
      policy: e1.policy,
    });
    expect((await publishedFromOutbox(`sys:gate-timed-out:${wid}:approve-plan`)).subject).toBe(
      sysSubjects.gateTimedOut,
    );
    expect(await publishedFromOutbox(`sys:gate-escalated:${wid}:approve-plan`)).toEqual({
      subject: sysSubjects.gateEscalated,
      payload: {
        workflowId: wid,
        gateKey: 'approve-plan',
        rootGateKey: 'approve-plan',
        successorGateKey: 'approve-plan-e1',
        level: 1,
        group: 'sre-oncall',
        deadlineAt: e1.deadlineAt,
        at: expect.any(String),
      },
    });
    expect((await publishedFromOutbox(`sys:gate-opened:${wid}:approve-plan-e1`)).subject).toBe(sysSubjects.gateOpened);
    expect(await call(rpc.gates.pendingPlanGate, { workflowId: wid })).toEqual({
      ok: true,
      body: expect.objectContaining({ gateKey: 'approve-plan-e1', rootGateKey: 'approve-plan', escalationLevel: 1 }),
    });

    // The next level: e1 times out and e2 opens for the last group; e2's own timeout is reject.
    await deadlinePassed(wid, 'approve-plan-e1', TimeoutAction.ESCALATE);
    const [e2] = await eventValue(wid, 'ui:approve-plan-e2');
    expect(e2).toMatchObject({
      policy: { timeoutS: 120, timeoutAction: 'reject', escalationChain: [] },
      escalation: { rootGateKey: 'approve-plan', fromGateKey: 'approve-plan-e1', level: 2, group: 'eng-leads' },
    });
    await deadlinePassed(wid, 'approve-plan-e2', TimeoutAction.REJECT);
    expect((await gates()).map((g: any) => [g.gate_key, g.state])).toEqual([
      ['approve-plan', 'TIMED_OUT'],
      ['approve-plan-e1', 'TIMED_OUT'],
      ['approve-plan-e2', 'TIMED_OUT'],
    ]);
    expect(await published<GateDecidedEvent>(subjects.gateDecided(wid, 'approve-plan-e2'))).toMatchObject({
      rootGateKey: 'approve-plan',
      decision: 'timeout',
      escalatedTo: null,
    });
    expect((await audit(wid, 'approve-plan-e2')).map((a) => a.outcome)).toEqual(['opened', 'timed_out']);
    expect(await call(rpc.gates.pendingPlanGate, { workflowId: wid })).toMatchObject({
      ok: false,
      error: 'NO_PENDING_GATE',
    });
    expect(await count(`gates.workflow_events WHERE workflow_id = $1 AND key LIKE 'decision:%'`, [wid])).toBe(3);
  });

  it('takes a reply on a successor gate like on any gate, with the chain in its decided event', async () => {
    const wid = randomUUID();
    await requestGate(wid, 'approve-plan', `gate-requested:${wid}:approve-plan`, 'deploy');
    await deadlinePassed(wid, 'approve-plan', TimeoutAction.ESCALATE);
    expect(await call(rpc.gates.reply, replyCmd(wid))).toMatchObject({ ok: false, error: 'GATE_CLOSED' });
    const onE1 = replyCmd(wid, { gateKey: 'approve-plan-e1', topic: 'human:approve-plan-e1', dedupeKey: `e1-${wid}` });
    // The successor is decided by its chain entry's role (DESIGN section 11): without it, 403 and no vote.
    expect(await call(rpc.gates.reply, onE1)).toMatchObject({ ok: false, error: 'ROLE_NOT_ALLOWED' });
    expect(await count(`gates.gate_votes WHERE workflow_id = $1`, [wid])).toBe(0);
    const byOncall = { ...onE1, dedupeKey: `e1-oncall-${wid}`, actorRoles: ['sre-oncall'] };
    expect(await call(rpc.gates.reply, byOncall)).toEqual({
      ok: true,
      body: { ok: true, state: 'RECEIVED', duplicate: false },
    });
    expect(await published<GateDecidedEvent>(subjects.gateDecided(wid, 'approve-plan-e1'))).toMatchObject({
      gateKey: 'approve-plan-e1',
      rootGateKey: 'approve-plan',
      state: 'RECEIVED',
      decision: 'approve',
      escalatedTo: null,
    });
    // Its timer firing late opens nothing more.
    await deadlinePassed(wid, 'approve-plan-e1', TimeoutAction.ESCALATE);
    expect(await count(`gates.gates WHERE workflow_id = $1`, [wid])).toBe(2);
  });

  it('auto-approves at the deadline where the policy file says approve', async () => {
    const wid = randomUUID();
    await requestGate(wid, 'approve-plan', `gate-requested:${wid}:approve-plan`, 'data-migration');
    await deadlinePassed(wid, 'approve-plan', TimeoutAction.APPROVE);
    expect(await eventValue(wid, 'decision:approve-plan')).toEqual([
      { decision: 'approve', by: 'timer', at: expect.any(String) },
    ]);
    expect(await publishedFromOutbox(`sys:gate-timed-out:${wid}:approve-plan`)).toMatchObject({
      payload: { state: 'TIMED_OUT', decision: 'approve', by: 'timer', escalatedTo: null },
    });
  });

  it('announces the cancellation of a gate whose run ended, so its timer is disarmed', async () => {
    const wid = randomUUID();
    await requestGate(wid, 'approve-plan', `gate-requested:${wid}:approve-plan`, 'deploy');
    await deadlinePassed(wid, 'approve-plan', TimeoutAction.ESCALATE);
    await publishOn(
      subjects.runFinished(wid),
      JSON.stringify(runSnapshot(wid, RunStatus.CANCELLED, 3)),
      `run-finished:${wid}`,
      CONSUMERS.gatesRunFinished.durable,
    );
    expect(
      (
        await db.query<any>(`SELECT state FROM gates.gates WHERE workflow_id = $1 AND gate_key = 'approve-plan-e1'`, [
          wid,
        ])
      )[0].state,
    ).toBe('CANCELLED');
    expect(await publishedFromOutbox(`gate-cancelled:${wid}:approve-plan-e1`)).toEqual({
      subject: subjects.gateCancelled(wid, 'approve-plan-e1'),
      payload: {
        workflowId: wid,
        gateKey: 'approve-plan-e1',
        rootGateKey: 'approve-plan',
        state: 'CANCELLED',
        runStatus: 'CANCELLED',
        at: expect.any(String),
      },
    });
    expect((await publishedFromOutbox(`sys:gate-cancelled:${wid}:approve-plan-e1`)).subject).toBe(
      sysSubjects.gateCancelled,
    );
    // Its deadline passing later changes nothing.
    await deadlinePassed(wid, 'approve-plan-e1', TimeoutAction.ESCALATE);
    expect(await count(`gates.gates WHERE workflow_id = $1`, [wid])).toBe(2);
    expect(await eventValue(wid, 'decision:approve-plan-e1')).toEqual([]);
  });
});
