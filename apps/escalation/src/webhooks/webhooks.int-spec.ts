import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { Logger } from 'nestjs-pino';
import { firstValueFrom } from 'rxjs';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  DecidedBy,
  Decision,
  GateState,
  rpc,
  RunStatus,
  subjects,
  TimeoutAction,
  WEBHOOK_EVENT_TYPES,
  type GateCancelledEvent,
  type GateDecidedEvent,
  type GateOpenedEvent,
  type RunControlEvent,
  type RedeliverResult,
  type RunUpdatedEvent,
  type WebhookDeliveryList,
  type WebhookEventType,
  type WebhookView,
  type WebhookWithSecret,
} from '@gatehouse/contracts';
import { Metrics, provisionStreams, RpcErrorFilter, rpcServerOptions } from '@gatehouse/messaging';
import { createTestDatabase, type TestDatabase } from '../../../../tools/test-support/database';
import { startNatsServer, type NatsServerHandle } from '../../../../tools/test-support/nats-server';
import { WebhookReceiver } from '../../../../tools/test-support/webhook-receiver';

/**
 * The escalation service in-process against a private nats-server and a fresh database, delivering
 * to a receiver on loopback that verifies every request with the `standardwebhooks` package.
 * Facts are published on JetStream as the gates and runs services publish them.
 */
describe('outbound webhooks (integration)', () => {
  let nats: NatsServerHandle;
  let db: TestDatabase;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let client: ClientProxy;
  let app: INestMicroservice;
  const receiver = new WebhookReceiver();
  const g = 'approve-plan';

  beforeAll(async () => {
    [nats, db] = await Promise.all([startNatsServer('webhooks'), createTestDatabase('webhooks')]);
    nc = await connect({ servers: nats.url });
    await provisionStreams(nc);
    js = jetstream(nc);
    await receiver.start();
    Object.assign(process.env, {
      DATABASE_URL: db.url,
      NATS_URL: nats.url,
      LOG_LEVEL: 'warn',
      DB_POOL_MAX: '4',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_SECRET_KEY: 'integration-test-key-0123456789abcdef',
      WEBHOOK_RETRY_SCHEDULE_S: '0.3,0.3,0.3',
      WEBHOOK_RETRY_JITTER: '0',
      WEBHOOK_TIMEOUT_MS: '500',
      WEBHOOK_RESCAN_MS: '100',
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { AppModule } = require('../app.module') as typeof import('../app.module');
    app = await NestFactory.createMicroservice(AppModule, {
      ...rpcServerOptions('escalation', { NATS_URL: nats.url }),
      bufferLogs: true,
    });
    app.useLogger(app.get(Logger));
    app.useGlobalFilters(new RpcErrorFilter());
    await app.listen();
    client = ClientProxyFactory.create({ transport: Transport.NATS, options: { servers: [nats.url] } });
    await client.connect();
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await client?.close();
    await nc?.close();
    await receiver.stop();
    await nats?.stop();
    await db?.drop();
  }, 60_000);

  const call = <T>(pattern: string, data: unknown) => firstValueFrom(client.send<T>(pattern, data));

  /** Registers an endpoint on a fresh receiver path that trusts the secret it got. */
  async function register(events: readonly WebhookEventType[] = WEBHOOK_EVENT_TYPES) {
    const path = `/hook/${randomUUID()}`;
    const created = await call<WebhookWithSecret>(rpc.escalation.webhooks.create, {
      url: receiver.url(path),
      events,
      createdBy: 'admin-test',
    });
    receiver.trust(path, created.secret);
    return { path, created };
  }

  function opened(wid: string, gateKey = g): GateOpenedEvent {
    return {
      workflowId: wid,
      gateKey,
      rootGateKey: gateKey,
      escalationLevel: 0,
      deadlineAt: new Date(Date.now() + 3_600_000).toISOString(),
      openedAt: new Date().toISOString(),
      policy: { timeoutS: 3600, timeoutAction: TimeoutAction.REJECT, escalationChain: [], requireRationale: false },
    };
  }

  function decided(wid: string, state: GateState, escalatedTo: string | null = null, gateKey = g): GateDecidedEvent {
    const timedOut = state === GateState.TIMED_OUT;
    return {
      workflowId: wid,
      gateKey,
      rootGateKey: gateKey,
      state,
      decision: timedOut ? Decision.TIMEOUT : Decision.APPROVE,
      by: timedOut ? DecidedBy.TIMER : DecidedBy.HUMAN,
      choice: timedOut ? null : 'yes',
      rationale: null,
      patch: null,
      actor: timedOut ? null : 'anonymous',
      escalatedTo,
      at: new Date().toISOString(),
    };
  }

  async function publish(subject: string, body: unknown, msgID: string): Promise<void> {
    await js.publish(subject, JSON.stringify(body), { msgID });
  }

  async function publishOpened(wid: string, gateKey = g): Promise<string> {
    const id = `gate-opened:${wid}:${gateKey}`;
    await publish(subjects.gateOpened(wid, gateKey), opened(wid, gateKey), id);
    return id;
  }

  async function deliveries(id: string, status?: string) {
    return (await call<WebhookDeliveryList>(rpc.escalation.webhooks.deliveries, { id, status })).items;
  }

  it('delivers every event type, signed, with the fact id as webhook-id and {type, timestamp, data}', async () => {
    const { path, created } = await register();
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const wid = randomUUID();
    const g2 = 'approve-plan-l1';
    const run: RunUpdatedEvent = {
      workflowID: wid,
      status: RunStatus.SUCCESS,
      nextAction: 'NONE',
      lastStep: null,
      error: null,
      version: 7,
      at: new Date().toISOString(),
    };
    const cancelled: GateCancelledEvent = {
      workflowId: wid,
      gateKey: 'other-gate',
      rootGateKey: 'other-gate',
      state: GateState.CANCELLED,
      runStatus: 'CANCELLED',
      at: new Date().toISOString(),
    };
    // Distinct runs for facts whose order does not matter here; one run for the gate's story.
    await publishOpened(wid);
    await publish(subjects.gateDecided(wid, g), decided(wid, GateState.TIMED_OUT, g2), `gate-decided:${wid}:${g}`);
    await publish(
      subjects.gateDecided(wid, g2),
      decided(wid, GateState.RECEIVED, null, g2),
      `gate-decided:${wid}:${g2}`,
    );
    await publish(subjects.gateCancelled(wid, 'other-gate'), cancelled, `gate-cancelled:${wid}:other-gate`);
    const control = (reason: string): RunControlEvent => ({ workflowID: wid, actor: 'key:ops', reason, at: run.at });
    await publish(subjects.runPaused(wid), control('x'), `run-paused:${wid}:1`);
    await publish(subjects.runResumed(wid), control('y'), `run-resumed:${wid}:1`);
    await publish(subjects.runFinished(wid), run, `run-finished:${wid}`);
    // A run snapshot is not a webhook event.
    await publish(subjects.runUpdated(wid), run, `run-updated:${wid}:7`);

    const got = await eventually(
      () => (receiver.on(path).length >= 8 ? receiver.on(path) : undefined),
      10_000,
      '8 webhooks',
    );
    await sleep(300);
    expect(receiver.on(path)).toHaveLength(8);
    expect(got.map((r) => r.payload.type)).toEqual([
      'gate.opened',
      'gate.timed_out',
      'gate.escalated',
      'gate.decided',
      'gate.cancelled',
      'run.paused',
      'run.resumed',
      'run.finished',
    ]);
    expect(new Set(got.map((r) => r.payload.type))).toEqual(new Set(WEBHOOK_EVENT_TYPES));
    for (const r of got) {
      expect(r.verifiedBy).toEqual([created.secret]);
      expect(r.signatures).toHaveLength(1);
      expect(Object.keys(r.payload).sort()).toEqual(['data', 'timestamp', 'type']);
      expect(new Date(r.payload.timestamp).toISOString()).toBe(r.payload.timestamp);
    }
    expect(got.map((r) => r.webhookId)).toEqual([
      `gate-opened:${wid}:${g}`,
      `gate-decided:${wid}:${g}`,
      `gate-decided:${wid}:${g}:escalated`,
      `gate-decided:${wid}:${g2}`,
      `gate-cancelled:${wid}:other-gate`,
      `run-paused:${wid}:1`,
      `run-resumed:${wid}:1`,
      `run-finished:${wid}`,
    ]);
    expect(got[0].payload.data).toEqual(expect.objectContaining({ workflowId: wid, gateKey: g, escalationLevel: 0 }));
    expect(got[2].payload.data).toEqual(expect.objectContaining({ gateKey: g, successorGateKey: g2 }));
    expect(got[7].payload.data).toEqual(run);
    // A run snapshot is acknowledged without a transaction: no inbox row for it.
    const snapshotRows = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM escalation.inbox WHERE msg_id = $1`,
      [`run-updated:${wid}:7`],
    );
    expect(snapshotRows[0].n).toBe(0);
    const factRows = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM escalation.inbox WHERE consumer = 'escalation-webhook-facts' AND msg_id = $1`,
      [`run-finished:${wid}`],
    );
    expect(factRows[0].n).toBe(1);

    // Every attempt is a row; the delivery list says so too.
    const rows = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM escalation.webhook_attempts a
       JOIN escalation.webhook_deliveries d ON d.id = a.delivery_id
       WHERE d.endpoint_id = $1 AND a.outcome = 'DELIVERED' AND a.response_status = 200`,
      [created.id],
    );
    expect(rows[0].n).toBe(8);
    const listed = await deliveries(created.id);
    expect(listed).toHaveLength(8);
    expect(listed.every((d) => d.status === 'DELIVERED' && d.attempts === 1 && d.attemptLog.length === 1)).toBe(true);
    // Prometheus counts attempts by outcome.
    const { body: scraped } = await app.get(Metrics).scrape();
    const delivered = /gatehouse_webhook_deliveries_total\{outcome="DELIVERED",service="escalation"\} (\d+)/.exec(
      scraped,
    );
    expect(Number(delivered?.[1])).toBeGreaterThanOrEqual(8);
  }, 30_000);

  it('queues only the event types an endpoint subscribed to', async () => {
    const { path, created } = await register(['gate.decided']);
    const wid = randomUUID();
    await publishOpened(wid);
    await publish(subjects.gateDecided(wid, g), decided(wid, GateState.RECEIVED), `gate-decided:${wid}:${g}`);
    await eventually(() => (receiver.on(path).length >= 1 ? true : undefined), 10_000, 'one webhook');
    await sleep(500);
    expect(receiver.on(path).map((r) => r.payload.type)).toEqual(['gate.decided']);
    const queued = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM escalation.webhook_deliveries WHERE endpoint_id = $1`,
      [created.id],
    );
    expect(queued[0].n).toBe(1);
  }, 30_000);

  it('retries a receiver that fails, then recovers: every attempt a row, the same webhook-id on each', async () => {
    const { path, created } = await register(['gate.opened']);
    receiver.answer(path, (n) => (n <= 2 ? { status: 503, body: 'x'.repeat(5000) } : { status: 204 }));
    const wid = randomUUID();
    const id = await publishOpened(wid);
    const got = await eventually(
      () => (receiver.on(path).length >= 3 ? receiver.on(path) : undefined),
      10_000,
      '3 tries',
    );
    expect(got.map((r) => r.webhookId)).toEqual([id, id, id]);
    expect(got.every((r) => r.verifiedBy.length === 1)).toBe(true);
    // On the schedule: 0.3 s between tries.
    expect(got[1].at - got[0].at).toBeGreaterThanOrEqual(250);
    const [d] = await eventually(
      async () => {
        const list = await deliveries(created.id);
        return list[0]?.status === 'DELIVERED' ? list : undefined;
      },
      5_000,
      'delivered',
    );
    expect(d.attempts).toBe(3);
    expect(d.attemptLog.map((a) => [a.outcome, a.responseStatus])).toEqual([
      ['RETRY', 503],
      ['RETRY', 503],
      ['DELIVERED', 204],
    ]);
    // Only a short prefix of an answer is stored.
    const prefixes = await db.query<{ len: number }>(
      `SELECT max(length(response_prefix))::int AS len FROM escalation.webhook_attempts WHERE delivery_id = $1`,
      [d.id],
    );
    expect(prefixes[0].len).toBeLessThanOrEqual(256);
  }, 30_000);

  it('keeps a run in order for an endpoint: a later fact waits while an earlier one is retried', async () => {
    const { path } = await register(['gate.opened', 'gate.decided']);
    receiver.answer(path, (n) => (n === 1 ? { status: 500 } : { status: 200 }));
    const wid = randomUUID();
    await publishOpened(wid);
    await publish(subjects.gateDecided(wid, g), decided(wid, GateState.RECEIVED), `gate-decided:${wid}:${g}`);
    const got = await eventually(() => (receiver.on(path).length >= 3 ? receiver.on(path) : undefined), 10_000, '3');
    expect(got.map((r) => [r.payload.type, r.status])).toEqual([
      ['gate.opened', 500],
      ['gate.opened', 200],
      ['gate.decided', 200],
    ]);
  }, 30_000);

  it('disables the endpoint on 410 and dead-letters the delivery; re-enabled, it receives again', async () => {
    const { path, created } = await register(['gate.opened']);
    receiver.answer(path, (n) => (n === 1 ? { status: 410 } : { status: 200 }));
    const wid = randomUUID();
    await publishOpened(wid);
    const view = await eventually(
      async () => {
        const list = await call<WebhookView[]>(rpc.escalation.webhooks.list, {});
        const v = list.find((e) => e.id === created.id);
        return v && !v.enabled ? v : undefined;
      },
      10_000,
      'disabled',
    );
    expect(view.disabledReason).toBe('410 Gone');
    const [dead] = await deliveries(created.id, 'DEAD');
    expect(dead.attemptLog.map((a) => [a.outcome, a.responseStatus])).toEqual([['GONE', 410]]);

    // Disabled: new facts are not queued for it.
    const wid2 = randomUUID();
    await publishOpened(wid2);
    await sleep(800);
    expect(receiver.on(path)).toHaveLength(1);
    expect(await deliveries(created.id)).toHaveLength(1);

    const enabled = await call<WebhookView>(rpc.escalation.webhooks.update, { id: created.id, enabled: true });
    expect(enabled).toMatchObject({ enabled: true, disabledReason: null });
    const wid3 = randomUUID();
    await publishOpened(wid3);
    await eventually(() => (receiver.on(path).length >= 2 ? true : undefined), 10_000, 'after re-enable');
    expect(receiver.on(path)[1].payload.data).toMatchObject({ workflowId: wid3 });
  }, 30_000);

  it('counts a receiver that does not answer in time as a failed attempt and retries it', async () => {
    const { path, created } = await register(['gate.opened']);
    receiver.answer(path, (n) => (n === 1 ? { status: 200, delayMs: 1500 } : { status: 200 }));
    await publishOpened(randomUUID());
    const [d] = await eventually(
      async () => {
        const list = await deliveries(created.id);
        return list[0]?.status === 'DELIVERED' ? list : undefined;
      },
      10_000,
      'delivered after a timeout',
    );
    expect(d.attemptLog).toHaveLength(2);
    expect(d.attemptLog[0]).toMatchObject({ outcome: 'RETRY', responseStatus: null });
    expect(d.attemptLog[0].error).toMatch(/timed out after 500 ms/);
    expect(d.attemptLog[0].latencyMs).toBeGreaterThanOrEqual(450);
    expect(d.attemptLog[0].latencyMs).toBeLessThan(1500);
  }, 30_000);

  it('honours Retry-After: the next attempt waits as long as the receiver asked', async () => {
    const { path } = await register(['gate.opened']);
    receiver.answer(path, (n) => (n === 1 ? { status: 429, headers: { 'Retry-After': '2' } } : { status: 200 }));
    await publishOpened(randomUUID());
    const got = await eventually(
      () => (receiver.on(path).length >= 2 ? receiver.on(path) : undefined),
      10_000,
      'retried',
    );
    // The schedule says 0.3 s; the receiver asked for 2 s.
    expect(got[1].at - got[0].at).toBeGreaterThanOrEqual(1900);
  }, 30_000);

  it('rotates the secret: both signatures during the overlap, each verifying with its own secret', async () => {
    const { path, created } = await register(['gate.opened']);
    const rotated = await call<WebhookWithSecret>(rpc.escalation.webhooks.rotateSecret, { id: created.id });
    expect(rotated.secret).not.toBe(created.secret);
    expect(new Date(rotated.previousSecretExpiresAt!).getTime()).toBeGreaterThan(Date.now() + 3_600_000);
    await publishOpened(randomUUID());
    const [r] = await eventually(() => (receiver.on(path).length ? receiver.on(path) : undefined), 10_000, 'delivered');
    expect(r.signatures).toHaveLength(2);
    // Receivers that know only the old or only the new secret both accept it.
    expect(r.verifiedBy).toEqual([created.secret]);
    receiver.trust(path, rotated.secret);
    await publishOpened(randomUUID());
    const [, r2] = await eventually(
      () => (receiver.on(path).length >= 2 ? receiver.on(path) : undefined),
      10_000,
      '2nd',
    );
    expect(r2.verifiedBy).toEqual([rotated.secret]);
    // The secret is never listed and is stored sealed, not in clear.
    const listed = await call<WebhookView[]>(rpc.escalation.webhooks.list, {});
    expect(JSON.stringify(listed)).not.toContain(rotated.secret.slice(6));
    const stored = await db.query<{ s: string }>(
      `SELECT secret_ciphertext || coalesce(previous_secret_ciphertext, '') AS s FROM escalation.webhook_endpoints WHERE id = $1`,
      [created.id],
    );
    expect(stored[0].s).not.toContain(rotated.secret.slice(6));
    expect(stored[0].s).not.toContain(created.secret.slice(6));
  }, 30_000);

  it('dead-letters after the last attempt; an admin redelivers all dead letters, or one delivery, with the same webhook-id', async () => {
    const { path, created } = await register(['gate.opened']);
    let down = true;
    receiver.answer(path, () => (down ? { status: 500 } : { status: 200 }));
    const id = await publishOpened(randomUUID());
    // 1 attempt + 3 retries on the schedule, then dead.
    const [dead] = await eventually(
      async () => {
        const list = await deliveries(created.id, 'DEAD');
        return list.length ? list : undefined;
      },
      10_000,
      'dead letter',
    );
    expect(dead.attempts).toBe(4);
    expect(dead.attemptLog.map((a) => a.outcome)).toEqual(['RETRY', 'RETRY', 'RETRY', 'DEAD']);

    down = false;
    const all = await call<RedeliverResult>(rpc.escalation.webhooks.redeliver, { id: created.id });
    expect(all).toEqual({ redelivered: 1 });
    await eventually(
      async () => ((await deliveries(created.id, 'DELIVERED')).length ? true : undefined),
      10_000,
      'redelivered',
    );
    expect(await deliveries(created.id, 'DEAD')).toEqual([]);
    const again = await call<RedeliverResult>(rpc.escalation.webhooks.redeliver, { id: created.id });
    expect(again).toEqual({ redelivered: 0 });

    // One delivery, even a delivered one (the receiver lost it).
    const one = await call<RedeliverResult>(rpc.escalation.webhooks.redeliver, { id: created.id, deliveryId: dead.id });
    expect(one).toEqual({ redelivered: 1 });
    await eventually(() => (receiver.on(path).length >= 6 ? true : undefined), 10_000, 'redelivered once more');
    expect(new Set(receiver.on(path).map((r) => r.webhookId))).toEqual(new Set([id]));
    const [d] = await deliveries(created.id);
    expect(d.attemptLog.map((a) => a.attempt)).toEqual([1, 2, 3, 4, 5, 6]);
  }, 30_000);

  it('keeps connections to an endpoint alive: 40 deliveries arrive over fewer than 40 TCP connections', async () => {
    const own = await new WebhookReceiver().start();
    try {
      const path = '/keep-alive';
      const created = await call<WebhookWithSecret>(rpc.escalation.webhooks.create, {
        url: own.url(path),
        events: ['run.finished'],
        createdBy: 'admin-test',
      });
      own.trust(path, created.secret);
      const n = 40;
      for (let i = 0; i < n; i++) {
        // Distinct runs: nothing orders them, so they go out WEBHOOK_CONCURRENCY at a time.
        const wid = randomUUID();
        const run: RunUpdatedEvent = {
          workflowID: wid,
          status: RunStatus.SUCCESS,
          nextAction: 'NONE',
          lastStep: null,
          error: null,
          version: 1,
          at: new Date().toISOString(),
        };
        await publish(subjects.runFinished(wid), run, `run-finished:${wid}`);
      }
      await eventually(() => (own.on(path).length >= n ? true : undefined), 20_000, `${n} webhooks`);
      expect(own.on(path).every((r) => r.verifiedBy.length === 1)).toBe(true);
      expect(own.connections).toBeGreaterThan(0);
      expect(own.connections).toBeLessThan(n);
    } finally {
      await own.stop();
    }
  });

  it('refuses bad admin input with a stable code and writes nothing', async () => {
    const before = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM escalation.webhook_endpoints`);
    const refusal = (pattern: string, data: unknown) =>
      call(pattern, data).then(
        () => 'accepted',
        (err: { error?: string }) => err.error,
      );
    expect(
      await refusal(rpc.escalation.webhooks.create, {
        url: 'ftp://example.com/x',
        events: ['gate.opened'],
        createdBy: 'a',
      }),
    ).toBe('WEBHOOK_URL_REFUSED');
    expect(
      await refusal(rpc.escalation.webhooks.create, { url: receiver.url('/x'), events: ['gate.nope'], createdBy: 'a' }),
    ).toBe('VALIDATION_FAILED');
    expect(await refusal(rpc.escalation.webhooks.create, { url: receiver.url('/x'), events: [], createdBy: 'a' })).toBe(
      'VALIDATION_FAILED',
    );
    expect(await refusal(rpc.escalation.webhooks.rotateSecret, { id: randomUUID() })).toBe('WEBHOOK_NOT_FOUND');
    expect(await refusal(rpc.escalation.webhooks.deliveries, { id: 'nope' })).toBe('WEBHOOK_NOT_FOUND');
    const { created } = await register(['gate.opened']);
    expect(await refusal(rpc.escalation.webhooks.redeliver, { id: created.id, deliveryId: '999999999' })).toBe(
      'DELIVERY_NOT_FOUND',
    );
    const after = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM escalation.webhook_endpoints`);
    expect(after[0].n).toBe(before[0].n + 1);
    // Deleted: gone from the list, its routes answer not found, deleting again is idempotent.
    await call(rpc.escalation.webhooks.remove, { id: created.id });
    expect((await call<WebhookView[]>(rpc.escalation.webhooks.list, {})).map((e) => e.id)).not.toContain(created.id);
    expect(await refusal(rpc.escalation.webhooks.deliveries, { id: created.id })).toBe('WEBHOOK_NOT_FOUND');
    expect(await call<WebhookView>(rpc.escalation.webhooks.remove, { id: created.id })).toMatchObject({
      enabled: false,
    });
  }, 30_000);
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function eventually<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== null) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
