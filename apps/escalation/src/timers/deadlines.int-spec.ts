import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { Logger } from 'nestjs-pino';
import { Client } from 'pg';
import { firstValueFrom } from 'rxjs';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  DecidedBy,
  Decision,
  GateState,
  rpc,
  subjects,
  TimeoutAction,
  type DeadlinePassedEvent,
  type GateCancelledEvent,
  type GateDecidedEvent,
  type GateOpenedEvent,
} from '@gatehouse/contracts';
import { Metrics, provisionStreams, RpcErrorFilter, rpcServerOptions, STREAMS } from '@gatehouse/messaging';
import { createTestDatabase, type TestDatabase } from '../../../../tools/test-support/database';
import { startNatsServer, type NatsServerHandle } from '../../../../tools/test-support/nats-server';
import { DeadlineFiringService } from './deadline-firing.service';
import { DeadlineSchedulerService } from './deadline-scheduler.service';

/** The escalation AppModule in-process against a private nats-server and a fresh database. */
describe('escalation deadlines (integration)', () => {
  let nats: NatsServerHandle;
  let db: TestDatabase;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let client: ClientProxy;
  let AppModule: unknown;
  const running = new Set<INestMicroservice>();

  const g = 'approve-plan';
  const policy = (action = TimeoutAction.REJECT) => ({
    timeoutS: 1,
    timeoutAction: action,
    escalationChain: [],
    requireRationale: false,
  });

  beforeAll(async () => {
    [nats, db] = await Promise.all([startNatsServer('escalation'), createTestDatabase('escalation')]);
    nc = await connect({ servers: nats.url });
    await provisionStreams(nc);
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
    // Every UPDATE that marks a timer FIRED leaves a row: a timer fired twice shows up as two rows.
    await db.query(
      `CREATE TABLE public.fire_log (workflow_id uuid NOT NULL, gate_key text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())`,
    );
    await db.query(`
      CREATE FUNCTION public.log_fire() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO public.fire_log (workflow_id, gate_key) VALUES (NEW.workflow_id, NEW.gate_key); RETURN NEW; END $$`);
    await db.query(`
      CREATE TRIGGER timers_fire_log AFTER UPDATE ON escalation.timers
      FOR EACH ROW WHEN (NEW.status = 'FIRED') EXECUTE FUNCTION public.log_fire()`);

    // ConfigModule validates process.env when app.module is first loaded.
    Object.assign(process.env, { DATABASE_URL: db.url, NATS_URL: nats.url, LOG_LEVEL: 'warn', DB_POOL_MAX: '4' });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    AppModule = (require('../app.module') as typeof import('../app.module')).AppModule;
    await boot();
    client = ClientProxyFactory.create({ transport: Transport.NATS, options: { servers: [nats.url] } });
    await client.connect();
  }, 60_000);

  afterAll(async () => {
    await closeAll();
    await client?.close();
    await nc?.close();
    await nats?.stop();
    await db?.drop();
  }, 60_000);

  async function boot(): Promise<INestMicroservice> {
    const app = await NestFactory.createMicroservice(AppModule as never, {
      ...rpcServerOptions('escalation', { NATS_URL: nats.url }),
      bufferLogs: true,
    });
    app.useLogger(app.get(Logger));
    app.useGlobalFilters(new RpcErrorFilter());
    await app.listen();
    running.add(app);
    return app;
  }

  async function close(app: INestMicroservice): Promise<void> {
    running.delete(app);
    await app.close();
  }

  async function closeAll(): Promise<void> {
    for (const app of [...running]) await close(app);
  }

  async function publishOpened(
    wid: string,
    deadlineAt: Date,
    action = TimeoutAction.REJECT,
    gateKey = g,
  ): Promise<void> {
    const body: GateOpenedEvent = {
      workflowId: wid,
      gateKey,
      rootGateKey: gateKey,
      escalationLevel: 0,
      deadlineAt: deadlineAt.toISOString(),
      openedAt: new Date().toISOString(),
      policy: policy(action),
    };
    await js.publish(subjects.gateOpened(wid, gateKey), JSON.stringify(body), {
      msgID: `gate-opened:${wid}:${gateKey}`,
    });
  }

  async function publishDecided(
    wid: string,
    decision: Decision,
    by: DecidedBy,
    state: GateState,
    escalatedTo: string | null = null,
  ): Promise<void> {
    const body: GateDecidedEvent = {
      workflowId: wid,
      gateKey: g,
      rootGateKey: g,
      state,
      decision,
      by,
      choice: by === DecidedBy.HUMAN ? 'yes' : null,
      rationale: null,
      patch: null,
      actor: null,
      escalatedTo,
      at: new Date().toISOString(),
    };
    await js.publish(subjects.gateDecided(wid, g), JSON.stringify(body), { msgID: `gate-decided:${wid}:${g}` });
  }

  /** How many deadline-passed messages the events stream holds for each gate of `wid`. */
  async function deadlineMessages(wid: string): Promise<Record<string, number>> {
    const info = await jsm.streams.info(STREAMS.events.name, {
      subjects_filter: `evt.escalation.deadline-passed.${wid}.>`,
    });
    return info.state.subjects ?? {};
  }

  async function timerStatus(wid: string, gateKey = g): Promise<string | undefined> {
    const rows = await db.query<{ status: string }>(
      `SELECT status FROM escalation.timers WHERE workflow_id = $1 AND gate_key = $2`,
      [wid, gateKey],
    );
    return rows[0]?.status;
  }

  async function fireLog(wid: string): Promise<number> {
    const rows = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM public.fire_log WHERE workflow_id = $1`,
      [wid],
    );
    return rows[0].n;
  }

  async function escalations(wid: string) {
    return db.query(
      `SELECT id, workflow_id, gate_key, status, action, detail FROM escalation.escalations WHERE workflow_id = $1`,
      [wid],
    );
  }

  it('fires a passed deadline once: one deadline-passed message, and the escalation once the gate timed out', async () => {
    const wid = randomUUID();
    const deadline = new Date(Date.now() + 1000);
    await publishOpened(wid, deadline);
    await eventually(async () => ((await timerStatus(wid)) === 'ARMED' ? true : undefined), 5_000, 'timer armed');

    const counts = await eventually(
      async () => {
        const c = await deadlineMessages(wid);
        return Object.keys(c).length > 0 ? c : undefined;
      },
      6_000,
      'deadline-passed message',
    );
    const firedAt = Date.now();
    expect(firedAt).toBeGreaterThanOrEqual(deadline.getTime());
    expect(counts).toEqual({ [subjects.deadlinePassed(wid, g)]: 1 });

    const stored = await jsm.streams.getMessage(STREAMS.events.name, { last_by_subj: subjects.deadlinePassed(wid, g) });
    expect(stored?.header?.get('Nats-Msg-Id')).toBe(`deadline-passed:${wid}:${g}`);
    expect(stored?.json<DeadlinePassedEvent>()).toEqual({
      workflowId: wid,
      gateKey: g,
      deadlineAt: deadline.toISOString(),
      action: 'reject',
      escalationId: `esc:${wid}:${g}`,
    });
    expect(await timerStatus(wid)).toBe('FIRED');
    // Firing alone proves nothing about the gate (a human may have answered it meanwhile).
    expect(await escalations(wid)).toEqual([]);

    // The gates service times the gate out; its decided-by-timer event records the escalation.
    await publishDecided(wid, Decision.TIMEOUT, DecidedBy.TIMER, GateState.TIMED_OUT);
    const done = await eventually(
      async () => {
        const rows = await escalations(wid);
        return rows.length ? rows : undefined;
      },
      5_000,
      'escalation recorded',
    );
    expect(done).toEqual([
      {
        id: `esc:${wid}:${g}`,
        workflow_id: wid,
        gate_key: g,
        status: 'COMPLETED',
        action: 'reject',
        detail: { outcome: { state: 'TIMED_OUT', decision: 'timeout', by: 'timer', at: expect.any(String) } },
      },
    ]);

    await sleep(1_000);
    expect(await deadlineMessages(wid)).toEqual({ [subjects.deadlinePassed(wid, g)]: 1 });
    expect(await fireLog(wid)).toBe(1);
    expect(await timerStatus(wid)).toBe('FIRED');
  });

  it('a deadline already passed when the gate-opened event arrives fires at once, with its action', async () => {
    const wid = randomUUID();
    await publishOpened(wid, new Date(Date.now() - 60_000), TimeoutAction.APPROVE);
    await eventually(async () => ((await timerStatus(wid)) === 'FIRED' ? true : undefined), 5_000, 'timer fired');
    const stored = await eventually(
      () =>
        jsm.streams
          .getMessage(STREAMS.events.name, { last_by_subj: subjects.deadlinePassed(wid, g) })
          .catch(() => undefined),
      5_000,
      'deadline-passed message',
    );
    expect(stored?.json<DeadlinePassedEvent>().action).toBe('approve');
    expect(await escalations(wid)).toEqual([]);
    expect(await fireLog(wid)).toBe(1);

    // Auto-approved by the timer: the escalation carries the timer's action.
    await publishDecided(wid, Decision.APPROVE, DecidedBy.TIMER, GateState.TIMED_OUT);
    const rows = await eventually(
      async () => {
        const r = await escalations(wid);
        return r.length ? r : undefined;
      },
      5_000,
      'escalation recorded',
    );
    expect(rows).toMatchObject([
      { status: 'COMPLETED', action: 'approve', detail: { outcome: { decision: 'approve', by: 'timer' } } },
    ]);
  });

  it('a timer that fired before the late decided-by-human event leaves no escalation (late disarm)', async () => {
    const wid = randomUUID();
    await publishOpened(wid, new Date(Date.now() - 60_000));
    await eventually(async () => ((await timerStatus(wid)) === 'FIRED' ? true : undefined), 5_000, 'timer fired');
    await eventually(
      async () => {
        const c = await deadlineMessages(wid);
        return Object.keys(c).length ? c : undefined;
      },
      5_000,
      'deadline-passed message',
    );

    // The human's answer was recorded first, so the gates service ignores the deadline.
    await publishDecided(wid, Decision.APPROVE, DecidedBy.HUMAN, GateState.RECEIVED);
    await eventually(
      async () => {
        const [{ n }] = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM escalation.inbox WHERE consumer = 'escalation-gate-events' AND msg_id = $1`,
          [`gate-decided:${wid}:${g}`],
        );
        return n === 1 ? true : undefined;
      },
      5_000,
      'decided event consumed',
    );
    await sleep(300);
    expect(await escalations(wid)).toEqual([]);
    expect(await timerStatus(wid)).toBe('FIRED');
    expect(await fireLog(wid)).toBe(1);
    await expect(
      firstValueFrom(client.send(rpc.escalation.get, { workflowId: wid, gateKey: g })),
    ).rejects.toMatchObject({
      error: 'GATE_NOT_FOUND',
    });
  });

  it('a gate decided before its deadline disarms the timer: no message, no escalation', async () => {
    const wid = randomUUID();
    await publishOpened(wid, new Date(Date.now() + 1500));
    await eventually(async () => ((await timerStatus(wid)) === 'ARMED' ? true : undefined), 5_000, 'timer armed');
    await publishDecided(wid, Decision.APPROVE, DecidedBy.HUMAN, GateState.RECEIVED);
    await eventually(async () => ((await timerStatus(wid)) === 'DISARMED' ? true : undefined), 5_000, 'timer disarmed');

    await sleep(2_500);
    expect(await timerStatus(wid)).toBe('DISARMED');
    expect(await deadlineMessages(wid)).toEqual({});
    expect(await escalations(wid)).toEqual([]);
    expect(await fireLog(wid)).toBe(0);
  });

  it('a human decision completes an escalation STARTED before it (an earlier version), in the disarm', async () => {
    const wid = randomUUID();
    await publishOpened(wid, new Date(Date.now() + 60_000));
    await eventually(async () => ((await timerStatus(wid)) === 'ARMED' ? true : undefined), 5_000, 'timer armed');
    await db.query(
      `INSERT INTO escalation.escalations (id, workflow_id, gate_key, status, action, detail)
       VALUES ($1, $2, $3, 'STARTED', 'escalate', '{"started": true}'::jsonb)`,
      [`esc:${wid}:${g}`, wid, g],
    );
    await publishDecided(wid, Decision.APPROVE, DecidedBy.HUMAN, GateState.RECEIVED);
    await eventually(async () => ((await timerStatus(wid)) === 'DISARMED' ? true : undefined), 5_000, 'timer disarmed');
    expect(await escalations(wid)).toEqual([
      expect.objectContaining({
        id: `esc:${wid}:${g}`,
        status: 'COMPLETED',
        detail: {
          started: true,
          outcome: expect.objectContaining({ state: 'RECEIVED', decision: 'approve', by: 'human' }),
        },
      }),
    ]);
  });

  it('a decided event that overtakes the opened one keeps the timer from ever arming', async () => {
    const wid = randomUUID();
    await publishDecided(wid, Decision.REJECT, DecidedBy.HUMAN, GateState.RECEIVED);
    await eventually(async () => ((await timerStatus(wid)) === 'DISARMED' ? true : undefined), 5_000, 'timer disarmed');
    const deadline = new Date(Date.now() + 500);
    await publishOpened(wid, deadline, TimeoutAction.ESCALATE);
    // The late opened event fills in the real deadline and action, and the timer stays DISARMED.
    const [row] = await eventually(
      async () => {
        const rows = await db.query<{ status: string; action: string; deadline_at: Date }>(
          `SELECT status, action, deadline_at FROM escalation.timers WHERE workflow_id = $1`,
          [wid],
        );
        return rows[0]?.action === 'escalate' ? rows : undefined;
      },
      5_000,
      'late opened event recorded',
    );
    expect(row.status).toBe('DISARMED');
    expect(row.deadline_at.toISOString()).toBe(deadline.toISOString());

    await sleep(1_500);
    expect(await timerStatus(wid)).toBe('DISARMED');
    expect(await deadlineMessages(wid)).toEqual({});
    expect(await escalations(wid)).toEqual([]);
  });

  it('records the successor gate of an escalate timeout in the escalation detail', async () => {
    const wid = randomUUID();
    await publishOpened(wid, new Date(Date.now() - 1000), TimeoutAction.ESCALATE);
    await eventually(async () => ((await timerStatus(wid)) === 'FIRED' ? true : undefined), 5_000, 'timer fired');
    await publishDecided(wid, Decision.TIMEOUT, DecidedBy.TIMER, GateState.TIMED_OUT, `${g}-e1`);
    const [done] = await eventually(
      async () => {
        const rows = await escalations(wid);
        return rows[0]?.status === 'COMPLETED' ? rows : undefined;
      },
      5_000,
      'escalation completed',
    );
    expect(done).toMatchObject({
      action: 'escalate',
      detail: { successorGateKey: `${g}-e1`, outcome: { state: 'TIMED_OUT', decision: 'timeout', by: 'timer' } },
    });
  });

  it('a gate cancelled with its run disarms the timer: no deadline-passed, no escalation', async () => {
    const wid = randomUUID();
    await publishOpened(wid, new Date(Date.now() + 1500));
    await eventually(async () => ((await timerStatus(wid)) === 'ARMED' ? true : undefined), 5_000, 'timer armed');
    const cancelled: GateCancelledEvent = {
      workflowId: wid,
      gateKey: g,
      rootGateKey: g,
      state: GateState.CANCELLED,
      runStatus: 'CANCELLED',
      at: new Date().toISOString(),
    };
    await js.publish(subjects.gateCancelled(wid, g), JSON.stringify(cancelled), {
      msgID: `gate-cancelled:${wid}:${g}`,
    });
    await eventually(async () => ((await timerStatus(wid)) === 'DISARMED' ? true : undefined), 5_000, 'timer disarmed');

    await sleep(2_500);
    expect(await timerStatus(wid)).toBe('DISARMED');
    expect(await deadlineMessages(wid)).toEqual({});
    expect(await escalations(wid)).toEqual([]);
    expect(await fireLog(wid)).toBe(0);
  });

  it('dead-letters a gate-opened event that can never be armed, without arming anything', async () => {
    const wid = randomUUID();
    await js.publish(
      subjects.gateOpened(wid, g),
      JSON.stringify({ workflowId: wid, gateKey: g, deadlineAt: 'soon', policy: policy() }),
      {
        msgID: `gate-opened:${wid}:${g}`,
      },
    );
    const [dead] = await eventually(
      async () => {
        const rows = await db.query<{ consumer: string; error: string }>(
          `SELECT consumer, error FROM escalation.dead_letters WHERE subject = $1`,
          [subjects.gateOpened(wid, g)],
        );
        return rows.length ? rows : undefined;
      },
      5_000,
      'dead letter',
    );
    expect(dead.consumer).toBe('escalation-gate-events');
    expect(dead.error).toContain('deadlineAt');
    expect(await timerStatus(wid)).toBeUndefined();
  });

  it('answers rpc.escalation.get and rpc.escalation.health', async () => {
    const wid = randomUUID();
    await publishOpened(wid, new Date(Date.now() - 1000), TimeoutAction.ESCALATE);
    await eventually(async () => ((await timerStatus(wid)) === 'FIRED' ? true : undefined), 5_000, 'timer fired');
    await publishDecided(wid, Decision.TIMEOUT, DecidedBy.TIMER, GateState.TIMED_OUT, `${g}-e1`);
    await eventually(async () => ((await escalations(wid)).length ? true : undefined), 5_000, 'escalation recorded');

    const view = await firstValueFrom(client.send(rpc.escalation.get, { workflowId: wid.toUpperCase(), gateKey: g }));
    expect(view).toEqual({
      id: `esc:${wid}:${g}`,
      workflowId: wid,
      gateKey: g,
      status: 'COMPLETED',
      action: 'escalate',
      createdAt: expect.any(String),
      detail: {
        outcome: { state: 'TIMED_OUT', decision: 'timeout', by: 'timer', at: expect.any(String) },
        successorGateKey: `${g}-e1`,
      },
    });
    expect(Number.isNaN(Date.parse(view.createdAt))).toBe(false);

    const failure = (payload: unknown) =>
      firstValueFrom(client.send(rpc.escalation.get, payload)).then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(await failure({ workflowId: randomUUID(), gateKey: g })).toMatchObject({ error: 'GATE_NOT_FOUND' });
    expect(await failure({ workflowId: 'not-a-uuid', gateKey: g })).toMatchObject({ error: 'GATE_NOT_FOUND' });
    expect(await failure({ workflowId: wid, gateKey: 'Bad Key' })).toMatchObject({ error: 'INVALID_GATE_KEY' });
    expect(await failure({ workflowId: 42, gateKey: g })).toMatchObject({ error: 'VALIDATION_FAILED' });
    expect(await failure('nonsense')).toMatchObject({ error: 'VALIDATION_FAILED' });

    expect(await firstValueFrom(client.send(rpc.escalation.health, {}))).toEqual({
      ok: true,
      service: 'escalation',
      db: true,
      nats: true,
    });
  });

  it('exports the timers fired, armed and overdue', async () => {
    const [app] = [...running];
    const registry = app.get(Metrics).registry;
    const sample = async (name: string, state?: string) => {
      const { values } = await registry.getSingleMetric(name)!.get();
      return values.find((v) => state === undefined || v.labels.state === state)?.value ?? 0;
    };
    // An armed timer whose deadline passed a minute ago, held locked by this test so that no
    // scheduler pass can claim it (claims skip locked rows): overdue, as with a stuck scheduler.
    const wid = randomUUID();
    const firedBefore = await sample('gatehouse_timers_fired_total');
    await db.query(
      `INSERT INTO escalation.timers (workflow_id, gate_key, deadline_at, action, policy, status)
       VALUES ($1, $2, now() - interval '1 minute', 'reject', $3::jsonb, 'ARMED')`,
      [wid, g, JSON.stringify(policy())],
    );
    const holder = new Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM escalation.timers WHERE workflow_id = $1 FOR UPDATE', [wid]);
      expect(await sample('gatehouse_timers', 'overdue')).toBeGreaterThanOrEqual(1);
      expect(await sample('gatehouse_timers', 'armed')).toBeGreaterThanOrEqual(1);
      expect(await timerStatus(wid)).toBe('ARMED');
      await holder.query('COMMIT');
    } finally {
      await holder.end();
    }
    app.get(DeadlineSchedulerService).rearm();
    await eventually(async () => ((await timerStatus(wid)) === 'FIRED' ? true : undefined), 5_000, 'timer fired');
    await eventually(
      async () => ((await sample('gatehouse_timers_fired_total')) > firedBefore ? true : undefined),
      2_000,
      'fired counted',
    );
    expect(await sample('gatehouse_timers', 'overdue')).toBe(0);
  });

  it('two instances at once fire every timer exactly once', async () => {
    const first = [...running][0];
    const second = await boot();
    const perInstance = [0, 0];
    [first, second].forEach((app, i) => {
      const firing = app.get(DeadlineFiringService);
      const original = firing.fireDueBatch.bind(firing);
      firing.fireDueBatch = async () => {
        const fired = await original();
        perInstance[i] += fired.length;
        return fired;
      };
    });

    // 250 gates sharing one deadline: both instances wake for it and claim in 100-timer batches.
    const wid = randomUUID();
    const keys = Array.from({ length: 250 }, (_, i) => `gate-${i}`);
    const deadline = new Date(Date.now() + 2500);
    await Promise.all(keys.map((k) => publishOpened(wid, deadline, TimeoutAction.REJECT, k)));
    await eventually(
      async () => {
        const [{ n }] = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM escalation.timers WHERE workflow_id = $1`,
          [wid],
        );
        return n === keys.length ? true : undefined;
      },
      10_000,
      'timers armed',
    );
    // Each instance armed only what it consumed; make both wait for the shared deadline, as
    // TIMER_RESCAN_S would.
    first.get(DeadlineSchedulerService).rearm();
    second.get(DeadlineSchedulerService).rearm();
    await eventually(
      async () => {
        const waits = [first, second].map((a) => a.get(DeadlineSchedulerService).nextWakeAt?.getTime());
        return waits.every((w) => w !== undefined && Math.abs(w - deadline.getTime()) < 200) ? true : undefined;
      },
      2_000,
      'both schedulers waiting for the deadline',
    );

    await eventually(
      async () => {
        const [{ n }] = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM escalation.timers WHERE workflow_id = $1 AND status = 'FIRED'`,
          [wid],
        );
        return n === keys.length ? true : undefined;
      },
      10_000,
      'all timers fired',
    );
    const messages = await eventually(
      async () => {
        const c = await deadlineMessages(wid);
        return Object.keys(c).length === keys.length ? c : undefined;
      },
      10_000,
      'all deadline-passed messages',
    );

    expect(Object.values(messages).every((n) => n === 1)).toBe(true);
    const perGate = await db.query<{ gate_key: string; n: number }>(
      `SELECT gate_key, count(*)::int AS n FROM public.fire_log WHERE workflow_id = $1 GROUP BY gate_key HAVING count(*) <> 1`,
      [wid],
    );
    expect(perGate).toEqual([]);
    expect(await fireLog(wid)).toBe(keys.length);
    expect(perInstance[0] + perInstance[1]).toBe(keys.length);
    // Firing starts no escalation: that waits for the gates service's decided-by-timer events.
    const [{ n: escalated }] = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM escalation.escalations WHERE workflow_id = $1`,
      [wid],
    );
    expect(escalated).toBe(0);
    const [{ n: outboxRows }] = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM escalation.outbox WHERE msg_id LIKE $1`,
      [`deadline-passed:${wid}:%`],
    );
    expect(outboxRows).toBe(keys.length);
    // Not asserted (timing decides the split), but shows whether both instances took part.
    process.stdout.write(`timers fired per instance: ${perInstance.join(' + ')}\n`);

    await close(second);
  }, 60_000);

  it('a timer armed before a shutdown fires once after the next boot, even past its deadline', async () => {
    const wid = randomUUID();
    // Room for the event to be consumed and the service shut down before the deadline, even on a
    // busy machine: a timer armed after its deadline fires at once and the test would prove nothing.
    const deadline = new Date(Date.now() + 3500);
    await publishOpened(wid, deadline);
    await eventually(
      async () => {
        const status = await timerStatus(wid);
        if (status === 'FIRED')
          throw new Error('the timer fired before the shutdown: armed too late to test a restart');
        return status === 'ARMED' ? true : undefined;
      },
      5_000,
      'timer armed',
    );
    await closeAll();
    expect(Date.now()).toBeLessThan(deadline.getTime());

    await sleep(Math.max(0, deadline.getTime() - Date.now()) + 1000);
    expect(await timerStatus(wid)).toBe('ARMED');
    expect(await deadlineMessages(wid)).toEqual({});

    await boot();
    await eventually(
      async () => {
        const c = await deadlineMessages(wid);
        return Object.keys(c).length ? c : undefined;
      },
      5_000,
      'deadline-passed after restart',
    );
    await sleep(500);
    expect(await deadlineMessages(wid)).toEqual({ [subjects.deadlinePassed(wid, g)]: 1 });
    expect(await timerStatus(wid)).toBe('FIRED');
    expect(await fireLog(wid)).toBe(1);
    expect(await escalations(wid)).toEqual([]);
    await publishDecided(wid, Decision.TIMEOUT, DecidedBy.TIMER, GateState.TIMED_OUT);
    await eventually(async () => ((await escalations(wid)).length ? true : undefined), 5_000, 'escalation recorded');
    expect((await escalations(wid)).map((r) => [r.id, r.status])).toEqual([[`esc:${wid}:${g}`, 'COMPLETED']]);
  }, 30_000);
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Retries `probe` until it returns a value (not undefined) or the time is up. Test-side only. */
async function eventually<T>(probe: () => Promise<T | undefined | null>, timeoutMs: number, what: string): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== null) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
