/**
 * A consumer process for crash tests, run as a child by consumer-runner.crash.int-spec.ts. It runs
 * a real ConsumerRunner whose handler inserts one effect row per message, and dies on purpose:
 *   CRASH=after-commit   SIGKILLs itself in `afterCommit`, i.e. after the commit and before the ack;
 *   CRASH=in-transaction prints `IN_TX <msgId>` with the effect written but not committed, then
 *                        waits for the parent to SIGKILL it.
 */
import 'reflect-metadata';
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
  const ds = createDataSource({ url: env('DATABASE_URL'), poolMax: 2, applicationName: 'crash-child' });
  await ds.initialize();
  const nc = await connect({ servers: env('NATS_URL') });
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
      if (crash === 'in-transaction') {
        process.stdout.write(`IN_TX ${msg.msgId}\n`);
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
      maxDeliveries: 5,
      afterCommit: () => {
        if (crash === 'after-commit') process.kill(process.pid, 'SIGKILL');
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
