import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { JsMsg } from '@nats-io/jetstream';
import {
  createTestConsumer,
  createTestStream,
  memoryLogger,
  startInfra,
  waitFor,
  type Infra,
} from '../../test/messaging-fixtures';
import type { ConsumerDefinition } from '../jetstream/definitions';
import { ConsumerRunner, type Outcome } from './consumer-runner';
import type { MessageHandler } from './message-handler';

/**
 * Real crashes, not simulated ones: the first consumer is a child Node process running the real
 * ConsumerRunner (libs/messaging/test/crash-consumer.child.ts, compiled on the fly by swc) and it
 * dies by SIGKILL at a chosen point. The point is chosen deterministically by the child itself
 * (SIGKILL from the runner's afterCommit hook: after commit, before the ack) or by this test once
 * the child reports that it is inside the transaction, so the tests never depend on timing.
 * A runner in this process then plays the restarted service.
 */
describe('ConsumerRunner after a SIGKILL (child process)', () => {
  const SCHEMA = 'runs';
  const STREAM = 'T_CRASH';
  const ACK_WAIT_S = 1;
  let infra: Infra;
  let n = 0;
  const children: ChildProcess[] = [];
  const runners: ConsumerRunner<unknown>[] = [];

  beforeAll(async () => {
    infra = await startInfra('consumer_crash');
    await createTestStream(infra.jsm, STREAM, ['crash.>']);
    await infra.db.query(
      'CREATE TABLE public.effects (id bigserial PRIMARY KEY, msg_id text NOT NULL, key text NOT NULL, delivery int NOT NULL)',
    );
  });

  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await Promise.all(runners.splice(0).map((r) => r.stop()));
  });

  afterAll(async () => {
    await infra?.stop();
  });

  async function newConsumer(): Promise<{ def: ConsumerDefinition; subject: string }> {
    const id = `c${++n}`;
    const def = await createTestConsumer(infra.jsm, STREAM, `crash-${id}`, `crash.${id}.>`, ACK_WAIT_S);
    return { def, subject: `crash.${id}.x` };
  }

  /** Starts the child consumer; resolves its stdout lines as they come. */
  function startChild(
    def: ConsumerDefinition,
    crash: 'after-commit' | 'in-transaction',
    extraEnv: Record<string, string> = {},
  ) {
    const root = join(__dirname, '..', '..', '..', '..');
    const child = spawn(
      process.execPath,
      [
        '-r',
        join(root, 'libs/messaging/test/register-ts.js'),
        join(root, 'libs/messaging/test/crash-consumer.child.ts'),
      ],
      {
        cwd: root,
        env: {
          PATH: process.env.PATH,
          DATABASE_URL: infra.db.url,
          NATS_URL: infra.nats.url,
          SCHEMA,
          STREAM: def.stream,
          DURABLE: def.durable,
          FILTER: def.filterSubject,
          ACK_WAIT_S: String(ACK_WAIT_S),
          CRASH: crash,
          ...extraEnv,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.push(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += String(d)));
    child.stderr!.on('data', (d) => (err += String(d)));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    return { child, exited, output: () => out, errors: () => err };
  }

  function restartedRunner(def: ConsumerDefinition) {
    const outcomes: Outcome[] = [];
    const settled: Array<{ msgId: string; outcome: Outcome }> = [];
    let calls = 0;
    const handler: MessageHandler<void> = {
      consumer: def,
      async handle(tx, msg) {
        calls++;
        await tx.query('INSERT INTO public.effects (msg_id, key, delivery) VALUES ($1, $2, $3)', [
          msg.msgId,
          'crash',
          msg.deliveryCount,
        ]);
      },
    };
    const runner = new (class extends ConsumerRunner<void> {
      protected override onSettled(msg: JsMsg, o: Outcome): void {
        outcomes.push(o);
        settled.push({ msgId: msg.headers?.get('Nats-Msg-Id') ?? '', outcome: o });
      }
    })(infra.ds, SCHEMA, infra.js, handler, { concurrency: 2, maxDeliveries: 5 }, memoryLogger());
    runners.push(runner as ConsumerRunner<unknown>);
    return { runner, outcomes, settled, calls: () => calls };
  }

  const count = async (sql: string, params: unknown[]) =>
    Number((await infra.db.query<{ n: string }>(sql, params))[0].n);
  const effects = (id: string) => count('SELECT count(*) AS n FROM public.effects WHERE msg_id = $1', [id]);
  const inbox = (def: ConsumerDefinition, id: string) =>
    count(`SELECT count(*) AS n FROM ${SCHEMA}.inbox WHERE consumer = $1 AND msg_id = $2`, [def.durable, id]);
  const everyMessageAcknowledged = (def: ConsumerDefinition) =>
    waitFor(async () => {
      const info = await infra.jsm.consumers.info(def.stream, def.durable);
      return info.num_ack_pending === 0 && info.num_pending === 0;
    }, 'every message acknowledged');
  /** Nothing lost, nothing applied twice: one effect and one inbox row per message. */
  async function expectAppliedOnce(def: ConsumerDefinition, ids: string[]): Promise<void> {
    for (const id of ids) {
      expect(await effects(id)).toBe(1);
      expect(await inbox(def, id)).toBe(1);
    }
  }

  it('killed after commit and before the ack: the redelivery finds the inbox row and applies nothing', async () => {
    const { def, subject } = await newConsumer();
    const id = `crash-${randomUUID()}`;
    await infra.js.publish(subject, JSON.stringify({ id }), { msgID: id });

    const child = startChild(def, 'after-commit');
    await waitFor(() => child.child.exitCode !== null || child.child.signalCode !== null, 'the child to die', 15_000);
    const { signal } = await child.exited;
    expect({ signal, stderr: child.errors() }).toEqual({ signal: 'SIGKILL', stderr: '' });
    // Committed, never acknowledged.
    expect(await effects(id)).toBe(1);
    expect(await inbox(def, id)).toBe(1);
    expect((await infra.jsm.consumers.info(def.stream, def.durable)).num_ack_pending).toBe(1);

    const restarted = restartedRunner(def);
    await restarted.runner.start();
    await waitFor(() => restarted.outcomes.length >= 1, 'redelivery after ack_wait', 10_000);
    expect(restarted.outcomes).toEqual(['duplicate']);
    expect(restarted.calls()).toBe(0);
    expect(await effects(id)).toBe(1);
    await waitFor(async () => {
      const info = await infra.jsm.consumers.info(def.stream, def.durable);
      return info.num_ack_pending === 0 && info.num_pending === 0;
    }, 'message acknowledged');
  });

  it('killed inside the transaction: nothing was committed and the redelivery applies it once', async () => {
    const { def, subject } = await newConsumer();
    const id = `crash-${randomUUID()}`;
    await infra.js.publish(subject, JSON.stringify({ id }), { msgID: id });

    const child = startChild(def, 'in-transaction');
    await waitFor(
      () => child.output().includes(`IN_TX ${id}`) || child.child.exitCode !== null,
      'the child inside its transaction',
      15_000,
    );
    expect(child.errors()).toBe('');
    process.kill(child.child.pid!, 'SIGKILL');
    expect((await child.exited).signal).toBe('SIGKILL');

    // Postgres rolls the dead connection's transaction back.
    await waitFor(
      async () =>
        (await count("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'crash-child'", [])) === 0,
      'child connections gone',
    );
    expect(await effects(id)).toBe(0);
    expect(await inbox(def, id)).toBe(0);

    const restarted = restartedRunner(def);
    await restarted.runner.start();
    await waitFor(() => restarted.outcomes.length >= 1, 'redelivery after ack_wait', 10_000);
    expect(restarted.outcomes).toEqual(['applied']);
    expect(await effects(id)).toBe(1);
    expect(await inbox(def, id)).toBe(1);
    const [{ delivery }] = await infra.db.query<{ delivery: number }>(
      'SELECT delivery FROM public.effects WHERE msg_id = $1',
      [id],
    );
    expect(delivery).toBe(2);
  });

  /** `IN_TX <msgId> <xid>` lines of the child: which transaction handled which message. */
  const handledIn = (output: string) =>
    output
      .split('\n')
      .filter((l) => l.startsWith('IN_TX '))
      .map((l) => {
        const [, msgId, xid] = l.split(' ');
        return { msgId, xid };
      });

  it('killed after a batch committed and before its acks: each message of it is a no-op on redelivery', async () => {
    const { def, subject } = await newConsumer();
    const ids = Array.from({ length: 6 }, (_, i) => `batch-commit-${randomUUID()}-${i}`);
    for (const id of ids) await infra.js.publish(subject, JSON.stringify({ id }), { msgID: id });

    const child = startChild(def, 'after-commit', { BATCH_MAX: '8', AFTER_BATCH: '1' });
    const { signal } = await child.exited;
    expect({ signal, stderr: child.errors() }).toEqual({ signal: 'SIGKILL', stderr: '' });
    const line = child
      .output()
      .split('\n')
      .find((l) => l.startsWith('COMMITTED '));
    const committed = line!.slice('COMMITTED '.length).split(',');
    expect(committed.length).toBeGreaterThan(1);
    // The batch was committed whole (effects and inbox rows) and none of it acknowledged.
    for (const id of committed) {
      expect(await effects(id)).toBe(1);
      expect(await inbox(def, id)).toBe(1);
    }
    expect((await infra.jsm.consumers.info(def.stream, def.durable)).num_ack_pending).toBeGreaterThanOrEqual(
      committed.length,
    );

    const restarted = restartedRunner(def);
    await restarted.runner.start();
    await waitFor(
      () => committed.every((id) => restarted.settled.some((s) => s.msgId === id)),
      'the committed batch redelivered',
      10_000,
    );
    await everyMessageAcknowledged(def);
    for (const id of committed) {
      expect(restarted.settled.filter((s) => s.msgId === id).map((s) => s.outcome)).toEqual(['duplicate']);
    }
    await expectAppliedOnce(def, ids);
  });

  it('killed inside a batch transaction: nothing of the batch was committed and each message is applied once', async () => {
    const { def, subject } = await newConsumer();
    const ids = Array.from({ length: 5 }, (_, i) => `batch-tx-${randomUUID()}-${i}`);
    for (const id of ids) await infra.js.publish(subject, JSON.stringify({ id }), { msgID: id });

    // The child stops inside the first transaction that holds two messages (five deliveries, one
    // transaction at a time: those that wait while one runs are committed together).
    const inBatch = (output: string) => {
      const handled = handledIn(output);
      return handled.find((h) => handled.filter((o) => o.xid === h.xid).length >= 2)?.xid;
    };
    const child = startChild(def, 'in-transaction', { BATCH_MAX: '8', HANG_IN_BATCH: '1' });
    await waitFor(
      () => inBatch(child.output()) !== undefined || child.child.exitCode !== null,
      'the child inside a transaction of several messages',
      15_000,
    );
    expect(child.errors()).toBe('');
    const xid = inBatch(child.output());
    const batch = handledIn(child.output())
      .filter((h) => h.xid === xid)
      .map((h) => h.msgId);
    expect(batch.length).toBeGreaterThan(1);
    process.kill(child.child.pid!, 'SIGKILL');
    expect((await child.exited).signal).toBe('SIGKILL');

    await waitFor(
      async () =>
        (await count("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'crash-child'", [])) === 0,
      'child connections gone',
    );
    // Postgres rolled the whole batch back: effects and inbox rows alike.
    for (const id of batch) {
      expect(await effects(id)).toBe(0);
      expect(await inbox(def, id)).toBe(0);
    }

    const restarted = restartedRunner(def);
    await restarted.runner.start();
    await waitFor(
      async () => (await count('SELECT count(*) AS n FROM public.effects WHERE msg_id = ANY($1)', [ids])) >= ids.length,
      'every message applied',
      10_000,
    );
    await everyMessageAcknowledged(def);
    for (const id of batch) {
      // Applied by the restarted runner, once. On a starved machine its ack can miss ack_wait, and the
      // redelivery that follows must then be recognised as a duplicate, never applied again.
      const outcomes = restarted.settled.filter((s) => s.msgId === id).map((s) => s.outcome);
      expect(outcomes[0]).toBe('applied');
      expect(outcomes.slice(1).every((o) => o === 'duplicate')).toBe(true);
    }
    await expectAppliedOnce(def, ids);
  });
});
