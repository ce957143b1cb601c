import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { INestMicroservice } from '@nestjs/common';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Client } from 'pg';
import { firstValueFrom } from 'rxjs';
import {
  escalationId,
  payloadHash,
  PLAN_GATE_CHOICES,
  rpc,
  subjects,
  TimeoutAction,
  type DeadlinePassedEvent,
  type GateRequestedEvent,
  RunStatus,
} from '@gatehouse/contracts';
import { CONSUMERS, OutboxService, provisionStreams, RpcErrorFilter, rpcServerOptions } from '@gatehouse/messaging';
import { createTestDatabase, type TestDatabase } from '../../../../tools/test-support/database';
import { startNatsServer, type NatsServerHandle } from '../../../../tools/test-support/nats-server';
import { runSnapshot } from '../test/run-events';
import { parseReplyCommand } from './reply-command';
import { ReplyFastPathRepository, type ReplySnapshot } from './reply-fast-path.repository';
import { ReplyService } from './reply.service';

/**
 * The reply fast path (one unlocked read, one conditional autocommit statement) against the real
 * database: races between replies and with timeouts and cancellations, the fallback to the locked
 * path, and rows identical to the ones the locked path writes.
 */
describe('reply fast path (integration)', () => {
  let nats: NatsServerHandle;
  let db: TestDatabase;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let app: INestMicroservice;
  let client: ClientProxy;
  let fastPath: ReplyFastPathRepository;
  let replies: ReplyService;
  let outbox: OutboxService;

  beforeAll(async () => {
    [nats, db] = await Promise.all([startNatsServer('gates-reply'), createTestDatabase('gates_reply')]);
    nc = await connect({ servers: nats.url });
    await provisionStreams(nc);
    js = jetstream(nc);
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
    const { AppModule } = require('../app.module') as typeof import('../app.module');
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestMicroservice(rpcServerOptions('gates', { NATS_URL: nats.url }));
    app.useLogger(['error']);
    app.useGlobalFilters(new RpcErrorFilter());
    await app.listen();
    client = ClientProxyFactory.create({ transport: Transport.NATS, options: { servers: [nats.url] } });
    await client.connect();
    fastPath = app.get(ReplyFastPathRepository);
    replies = app.get(ReplyService);
    outbox = app.get(OutboxService);
  }, 60_000);

  afterEach(() => jest.restoreAllMocks());

  /** The SQL text of a node-postgres query call, whether given as a string or a config object. */
  const sqlText = (q: unknown): string =>
    typeof q === 'string' ? q : typeof (q as { text?: unknown })?.text === 'string' ? (q as { text: string }).text : '';

  afterAll(async () => {
    await client?.close();
    await app?.close();
    await nc?.close();
    await nats?.stop();
    await db?.drop();
  });

  // ---- helpers -------------------------------------------------------------------------------

  type Answer = { ok: true; body: any } | { ok: false; error: string };

  async function call(data: unknown): Promise<Answer> {
    try {
      return { ok: true, body: await firstValueFrom(client.send(rpc.gates.reply, data)) };
    } catch (err) {
      const e = err as { error?: string };
      if (typeof e?.error !== 'string') throw err;
      return { ok: false, error: e.error };
    }
  }

  const count = async (sql: string, params: unknown[]) =>
    (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params))[0].n;

  async function processed(consumer: string, msgId: string): Promise<void> {
    const until = Date.now() + 15_000;
    while ((await count(`gates.inbox WHERE consumer = $1 AND msg_id = $2`, [consumer, msgId])) !== 1) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${consumer} to process ${msgId}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async function publishOn(subject: string, body: unknown, msgId: string, consumer: string): Promise<void> {
    await js.publish(subject, JSON.stringify(body), { msgID: msgId });
    await processed(consumer, msgId);
  }

  async function openGate(wid: string, g = 'approve-plan'): Promise<void> {
    const req: GateRequestedEvent = {
      workflowId: wid,
      gateKey: g,
      title: `Approve ${g}`,
      plan: { steps: ['a'] },
      planHash: payloadHash({ steps: ['a'] }),
      choices: PLAN_GATE_CHOICES,
      recipeName: 'agent-plan',
    };
    await publishOn(
      subjects.gateRequested(wid, g),
      req,
      `gate-requested:${wid}:${g}`,
      CONSUMERS.gatesGateRequested.durable,
    );
  }

  const timeOut = (wid: string, g = 'approve-plan') =>
    publishOn(
      subjects.deadlinePassed(wid, g),
      {
        workflowId: wid,
        gateKey: g,
        deadlineAt: new Date().toISOString(),
        action: TimeoutAction.REJECT,
        escalationId: escalationId(wid, g),
      } satisfies DeadlinePassedEvent,
      `deadline-passed:${wid}:${g}`,
      CONSUMERS.gatesDeadlinePassed.durable,
    );

  const cancelRun = (wid: string) =>
    publishOn(
      subjects.runFinished(wid),
      runSnapshot(wid, RunStatus.CANCELLED, 3),
      `run-finished:${wid}`,
      CONSUMERS.gatesRunFinished.durable,
    );

  const replyCmd = (wid: string, over: Record<string, unknown> = {}) => ({
    workflowId: wid,
    gateKey: 'approve-plan',
    topic: 'human:approve-plan',
    payload: { choice: 'yes', rationale: 'ship it', patch: [{ op: 'replace', path: '/steps/0', value: 'b' }] },
    dedupeKey: `dk-${wid}`,
    origin: 'rest',
    actor: 'alice',
    ...over,
  });

  /** Holds every one of the next `n` snapshots until all `n` were read: the replies all saw the same gate. */
  function snapshotsMeetAt(n: number): void {
    const read = fastPath.snapshot.bind(fastPath);
    let arrived = 0;
    let release!: () => void;
    const allRead = new Promise<void>((r) => (release = r));
    jest.spyOn(fastPath, 'snapshot').mockImplementation(async (...args) => {
      const snap = await read(...args);
      if (++arrived === n) release();
      await allRead;
      return snap;
    });
  }

  /** The next snapshot is taken, then `meanwhile` commits before the reply writes. */
  function afterNextSnapshot(meanwhile: () => Promise<void>): jest.SpyInstance {
    const read = fastPath.snapshot.bind(fastPath);
    jest.spyOn(fastPath, 'snapshot').mockImplementationOnce(async (...args): Promise<ReplySnapshot> => {
      const snap = await read(...args);
      await meanwhile();
      return snap;
    });
    return jest.spyOn(fastPath, 'acceptIfPending');
  }

  const ledgerRows = (wid: string) => count(`gates.human_interactions WHERE workflow_id = $1`, [wid]);
  const auditKeysOf = async (wid: string) =>
    (
      await db.query<{ audit_key: string }>(
        `SELECT audit_key FROM gates.workflow_events WHERE workflow_id = $1 AND key = 'ui:approve-plan:audit' ORDER BY id`,
        [wid],
      )
    ).map((r) => r.audit_key);
  const gateState = async (wid: string) =>
    (await db.query<{ state: string }>(`SELECT state FROM gates.gates WHERE workflow_id = $1`, [wid]))[0].state;

  /**
   * Everything an accepted reply wrote for run `wid`, with the run id replaced by `as` and every
   * `at` checked to be closed_at (ms, ISO 8601 Z) and then replaced by a marker.
   */
  async function acceptedRows(wid: string, as: string) {
    const [gate] = await db.query<{ state: string; closed_at: Date }>(
      `SELECT state, closed_at FROM gates.gates WHERE workflow_id = $1`,
      [wid],
    );
    const at = gate.closed_at.toISOString();
    const [{ exact }] = await db.query<{ exact: boolean }>(
      `SELECT closed_at = date_trunc('milliseconds', closed_at) AS exact FROM gates.gates WHERE workflow_id = $1`,
      [wid],
    );
    expect(exact).toBe(true);
    const ledger = await db.query<any>(
      `SELECT workflow_id, gate_key, topic, dedupe_key, payload, payload_hash, origin, actor, created_at
       FROM gates.human_interactions WHERE workflow_id = $1 ORDER BY id`,
      [wid],
    );
    const events = await db.query<any>(
      `SELECT key, value, audit_key FROM gates.workflow_events
       WHERE workflow_id = $1 AND key <> 'ui:approve-plan' AND audit_key IS DISTINCT FROM 'opened' ORDER BY id`,
      [wid],
    );
    const messages = await db.query<any>(
      `SELECT msg_id, subject, payload, headers FROM gates.outbox WHERE msg_id LIKE '%gate-decided:' || $1 || '%' ORDER BY id`,
      [wid],
    );
    expect(ledger.map((r) => (r.created_at as Date).toISOString())).toEqual([at]);
    const stamped = [...events.map((e) => e.value), ...messages.map((m) => m.payload)];
    expect(stamped.map((v) => v.at)).toEqual(stamped.map(() => at));
    const unstamped = JSON.stringify({
      state: gate.state,
      ledger: ledger.map(({ created_at: _, ...r }) => r),
      events,
      messages,
    })
      .replaceAll(at, '<closed_at>')
      .replaceAll(wid, as);
    return JSON.parse(unstamped);
  }

  // ---- tests ---------------------------------------------------------------------------------

  it('writes exactly the rows the locked path writes, with closed_at, created_at and every `at` the same instant', async () => {
    const [fast, locked] = [randomUUID(), randomUUID()];
    await openGate(fast);
    await openGate(locked);
    const dedupeKey = 'same-key';
    const takeLock = jest.spyOn(outbox, 'transaction');
    expect(await call(replyCmd(fast, { dedupeKey }))).toEqual({
      ok: true,
      body: { ok: true, state: 'RECEIVED', duplicate: false },
    });
    expect(takeLock).not.toHaveBeenCalled();
    const viaLock = await outbox.transaction((tx) =>
      replies.apply(tx, parseReplyCommand(replyCmd(locked, { dedupeKey }))),
    );
    expect(viaLock).toEqual({ ok: true, result: { ok: true, state: 'RECEIVED', duplicate: false } });

    const fastRows = await acceptedRows(fast, '<wid>');
    expect(fastRows).toEqual(await acceptedRows(locked, '<wid>'));
    expect(fastRows.events.map((e: any) => [e.key, e.audit_key])).toEqual([
      ['ui:approve-plan:result', null],
      ['decision:approve-plan', null],
      ['ui:approve-plan:audit', 'accepted:same-key'],
    ]);
    expect(fastRows.messages.map((m: any) => m.msg_id)).toEqual([
      'gate-decided:<wid>:approve-plan',
      'sys:gate-decided:<wid>:approve-plan',
    ]);
    expect(fastRows.messages[0].payload).toEqual({
      workflowId: '<wid>',
      gateKey: 'approve-plan',
      rootGateKey: 'approve-plan',
      state: 'RECEIVED',
      decision: 'approve',
      by: 'human',
      choice: 'yes',
      rationale: 'ship it',
      patch: [{ op: 'replace', path: '/steps/0', value: 'b' }],
      // The vote's patch made the version it approved.
      planHash: payloadHash({ steps: ['b'] }),
      actor: 'alice',
      escalatedTo: null,
      at: '<closed_at>',
    });
    expect(fastRows.messages[0].headers).toEqual({});
  });

  it('a patch that does not apply to the plan is 400 VALIDATION_FAILED and writes nothing', async () => {
    const wid = randomUUID();
    await openGate(wid);
    const bad = { choice: 'yes', patch: [{ op: 'replace', path: '/missing/0', value: 'x' }] };
    expect(await call(replyCmd(wid, { payload: bad }))).toEqual({ ok: false, error: 'VALIDATION_FAILED' });
    expect(await ledgerRows(wid)).toBe(0);
    expect(await count(`gates.gate_votes WHERE workflow_id = $1`, [wid])).toBe(0);
    expect(await auditKeysOf(wid)).toEqual(['opened']);
    expect(await gateState(wid)).toBe('PENDING');
  });

  it('accepts in two statements and no transaction; a replay and a refusal without audit in one read', async () => {
    const wid = randomUUID();
    await openGate(wid);
    // Statements reach Postgres through the driver (named, via libs/persistence), not manager.query.
    // Only the reply path touches these tables here; the relay and consumers use outbox and inbox.
    const driver = jest.spyOn(Client.prototype, 'query');
    const statements = {
      count: () =>
        driver.mock.calls.filter(([q]) => /gates\.(gates|human_interactions|workflow_events)\b/.test(sqlText(q)))
          .length,
      mockClear: () => driver.mockClear(),
    };
    const takeLock = jest.spyOn(outbox, 'transaction');

    expect(await call(replyCmd(wid))).toMatchObject({ ok: true, body: { duplicate: false } });
    expect(statements.count()).toBe(2);
    statements.mockClear();
    expect(await call(replyCmd(wid))).toEqual({ ok: true, body: { ok: true, state: 'RECEIVED', duplicate: true } });
    expect(statements.count()).toBe(1);
    statements.mockClear();
    const badChoice = replyCmd(wid, { payload: { choice: 'maybe' }, dedupeKey: `other-${wid}` });
    expect(await call(badChoice)).toEqual({ ok: false, error: 'INVALID_CHOICE' });
    expect(await call(replyCmd(randomUUID()))).toEqual({ ok: false, error: 'GATE_NOT_FOUND' });
    expect(statements.count()).toBe(2);
    expect(takeLock).not.toHaveBeenCalled();

    // A late reply writes its audit entry, so it is judged under the lock.
    expect(await call(replyCmd(wid, { dedupeKey: `late-${wid}` }))).toEqual({ ok: false, error: 'GATE_CLOSED' });
    expect(takeLock).toHaveBeenCalledTimes(1);
    expect(await ledgerRows(wid)).toBe(1);
    expect(await auditKeysOf(wid)).toEqual(['opened', `accepted:dk-${wid}`, `late:late-${wid}`]);
  });

  it('N replies with one dedupe key, all reading the gate PENDING: one ledger row, one accepted, the rest duplicates', async () => {
    const wid = randomUUID();
    await openGate(wid);
    const n = 10;
    snapshotsMeetAt(n);
    const writes = jest.spyOn(fastPath, 'acceptIfPending');
    const answers = await Promise.all(Array.from({ length: n }, () => call(replyCmd(wid))));

    expect(writes).toHaveBeenCalledTimes(n);
    const won = await Promise.all(writes.mock.results.map((r) => r.value));
    expect(won.filter((at) => at !== undefined)).toHaveLength(1);
    expect(answers.filter((a) => a.ok && a.body.duplicate === false)).toHaveLength(1);
    expect(answers.filter((a) => a.ok && a.body.duplicate === true)).toHaveLength(n - 1);
    expect(answers.every((a) => a.ok && a.body.state === 'RECEIVED')).toBe(true);
    expect(await ledgerRows(wid)).toBe(1);
    expect(await auditKeysOf(wid)).toEqual(['opened', `accepted:dk-${wid}`]);
    expect(await count(`gates.workflow_events WHERE workflow_id = $1`, [wid])).toBe(5);
    expect(await count(`gates.outbox WHERE msg_id LIKE '%' || $1 || '%'`, [wid])).toBe(4);
  });

  it('N replies with different dedupe keys: one accepted, the others 409 GATE_CLOSED audited once each', async () => {
    const wid = randomUUID();
    await openGate(wid);
    const n = 10;
    snapshotsMeetAt(n);
    const answers = await Promise.all(Array.from({ length: n }, (_, i) => call(replyCmd(wid, { dedupeKey: `k${i}` }))));

    const accepted = answers.flatMap((a, i) => (a.ok ? [i] : []));
    expect(accepted).toHaveLength(1);
    expect(answers[accepted[0]]).toEqual({ ok: true, body: { ok: true, state: 'RECEIVED', duplicate: false } });
    expect(answers.filter((a) => !a.ok && a.error === 'GATE_CLOSED')).toHaveLength(n - 1);
    expect(await ledgerRows(wid)).toBe(1);
    const [ledger] = await db.query<{ dedupe_key: string }>(
      `SELECT dedupe_key FROM gates.human_interactions WHERE workflow_id = $1`,
      [wid],
    );
    expect(ledger.dedupe_key).toBe(`k${accepted[0]}`);
    const audits = await auditKeysOf(wid);
    expect(audits.filter((k) => k.startsWith('accepted:'))).toEqual([`accepted:k${accepted[0]}`]);
    expect(audits.filter((k) => k.startsWith('late:')).sort()).toEqual(
      Array.from({ length: n }, (_, i) => `late:k${i}`)
        .filter((k) => k !== `late:k${accepted[0]}`)
        .sort(),
    );
    expect(await count(`gates.workflow_events WHERE workflow_id = $1 AND key = 'decision:approve-plan'`, [wid])).toBe(
      1,
    );
  });

  it('a reply that read the gate PENDING before it timed out writes nothing and is 409 GATE_CLOSED, audited', async () => {
    const wid = randomUUID();
    await openGate(wid);
    const writes = afterNextSnapshot(() => timeOut(wid));

    expect(await call(replyCmd(wid))).toEqual({ ok: false, error: 'GATE_CLOSED' });
    expect(await writes.mock.results[0].value).toBeUndefined();
    expect(await gateState(wid)).toBe('TIMED_OUT');
    expect(await ledgerRows(wid)).toBe(0);
    expect(await auditKeysOf(wid)).toEqual(['opened', 'timed_out', `late:dk-${wid}`]);
    expect(
      (
        await db.query<any>(
          `SELECT value FROM gates.workflow_events WHERE workflow_id = $1 AND key = 'decision:approve-plan'`,
          [wid],
        )
      ).map((r) => r.value.decision),
    ).toEqual(['timeout']);
    expect(await count(`gates.workflow_events WHERE workflow_id = $1 AND key = 'ui:approve-plan:result'`, [wid])).toBe(
      0,
    );
  });

  it('a reply that read the gate PENDING before its run was cancelled writes nothing and is 409 GATE_CLOSED', async () => {
    const wid = randomUUID();
    await openGate(wid);
    const writes = afterNextSnapshot(() => cancelRun(wid));

    expect(await call(replyCmd(wid))).toEqual({ ok: false, error: 'GATE_CLOSED' });
    expect(await writes.mock.results[0].value).toBeUndefined();
    expect(await gateState(wid)).toBe('CANCELLED');
    expect(await ledgerRows(wid)).toBe(0);
    expect(await auditKeysOf(wid)).toEqual(['opened', 'cancelled', `late:dk-${wid}`]);
  });

  it('a reply that read the gate PENDING before the same reply was accepted answers duplicate', async () => {
    const wid = randomUUID();
    await openGate(wid);
    let first: Answer | undefined;
    const writes = afterNextSnapshot(async () => {
      first = await call(replyCmd(wid));
    });

    expect(await call(replyCmd(wid))).toEqual({ ok: true, body: { ok: true, state: 'RECEIVED', duplicate: true } });
    expect(first).toEqual({ ok: true, body: { ok: true, state: 'RECEIVED', duplicate: false } });
    expect(await Promise.all(writes.mock.results.map((r) => r.value))).toEqual([expect.any(String), undefined]);
    expect(await ledgerRows(wid)).toBe(1);
    expect(await auditKeysOf(wid)).toEqual(['opened', `accepted:dk-${wid}`]);
  });

  it('replies racing the deadline: the gate is either RECEIVED with its reply or TIMED_OUT without one', async () => {
    const runs = Array.from({ length: 12 }, () => randomUUID());
    for (const wid of runs) await openGate(wid);
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    // The deadline is published up to ~15 ms after the reply is sent, so some races go either way.
    const answers = await Promise.all(
      runs.map((wid, i) => Promise.all([call(replyCmd(wid)), sleep(i * 2).then(() => timeOut(wid))])),
    );

    for (const [i, wid] of runs.entries()) {
      const [answer] = answers[i];
      const decisions = await db.query<any>(
        `SELECT value FROM gates.workflow_events WHERE workflow_id = $1 AND key = 'decision:approve-plan'`,
        [wid],
      );
      expect(decisions).toHaveLength(1);
      if (answer.ok) {
        expect(answer.body).toEqual({ ok: true, state: 'RECEIVED', duplicate: false });
        expect(await gateState(wid)).toBe('RECEIVED');
        expect(await ledgerRows(wid)).toBe(1);
        expect(decisions[0].value.by).toBe('human');
        expect(await auditKeysOf(wid)).toEqual(['opened', `accepted:dk-${wid}`]);
      } else {
        expect(answer.error).toBe('GATE_CLOSED');
        expect(await gateState(wid)).toBe('TIMED_OUT');
        expect(await ledgerRows(wid)).toBe(0);
        expect(decisions[0].value.by).toBe('timer');
        expect(await auditKeysOf(wid)).toEqual(['opened', 'timed_out', `late:dk-${wid}`]);
      }
    }
  });
});
