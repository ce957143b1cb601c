/**
 * A consumer process for crash tests, run as a child by consumer-runner.crash.int-spec.ts. It runs
 * a real ConsumerRunner (concurrency 1, batches of up to BATCH_MAX, default 1) whose handler inserts
 * one effect row per message and prints `IN_TX <msgId> <xid>`, and dies on purpose:
 *   CRASH=after-commit   SIGKILLs itself in `afterCommit`, i.e. after the commit and before the ack;
 *                        with AFTER_BATCH=1 only after a transaction that held several messages,
 *                        printing `COMMITTED <msgId,...>` first;
 *   CRASH=in-transaction waits for the parent to SIGKILL it once a message is handled (with
 *                        HANG_IN_BATCH=1 only the second message of one transaction, so the
 *                        transaction holds several however the deliveries were split into
 *                        socket reads), its effect written but not committed.
 */
import 'reflect-metadata';
import { writeSync } from 'node:fs';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createDataSource } from '@gatehouse/persistence';
import { ConsumerRunner } from '../src/inbox/consumer-runner';
import type { MessageHandler } from '../src/inbox/message-handler';

async function main(): Promise<void> {
  const env = (k: string) => {
    const v = process.env[k];
    if (!v) throw new Error(`${k} is required`);
    return v;
  };
  const crash = env('CRASH');
  const afterBatch = process.env.AFTER_BATCH === '1';
  const hangInBatch = process.env.HANG_IN_BATCH === '1';
  const ds = createDataSource({ url: env('DATABASE_URL'), poolMax: 2, applicationName: 'crash-child' });
  await ds.initialize();
  const nc = await connect({ servers: env('NATS_URL') });
  // Messages handled by the current transaction (concurrency 1: one transaction at a time).
  let current: { xid: string; ids: string[] } = { xid: '', ids: [] };
  const handler: MessageHandler<void> = {
    consumer: {
      stream: env('STREAM'),
      durable: env('DURABLE'),
      filterSubject: env('FILTER'),
      ackWaitS: Number(env('ACK_WAIT_S')),
      maxAckPending: 2000,
    },
    async handle(tx, msg) {
      await tx.query('INSERT INTO public.effects (msg_id, key, delivery) VALUES ($1, $2, $3)', [
        msg.msgId,
        'crash',
        msg.deliveryCount,
      ]);
      const [{ xid }] = await tx.query('SELECT pg_current_xact_id()::text AS xid');
      if (current.xid !== xid) current = { xid, ids: [] };
      current.ids.push(msg.msgId);
      process.stdout.write(`IN_TX ${msg.msgId} ${xid}\n`);
      if (crash === 'in-transaction' && (!hangInBatch || current.ids.length >= 2)) {
        await new Promise(() => undefined);
      }
    },
  };
  const log = {
    warn: () => undefined,
    error: (o: object, m: string) => process.stderr.write(`${m} ${JSON.stringify(o)}\n`),
  };
  const runner = new ConsumerRunner(
    ds,
    env('SCHEMA'),
    jetstream(nc),
    handler,
    {
      concurrency: 1,
      batchMax: Number(process.env.BATCH_MAX ?? 1),
      maxDeliveries: 5,
      afterCommit: () => {
        if (crash !== 'after-commit') return;
        if (!afterBatch) process.kill(process.pid, 'SIGKILL');
        else if (current.ids.length > 1) {
          // Synchronously, so that no ack can leave before the kill.
          writeSync(1, `COMMITTED ${current.ids.join(',')}\n`);
          process.kill(process.pid, 'SIGKILL');
        }
      },
    },
    log,
  );
  await runner.start();
  process.stdout.write('READY\n');
}

main().catch((err) => {
  process.stderr.write(`crash child failed: ${String(err?.stack ?? err)}\n`);
  process.exit(2);
});
