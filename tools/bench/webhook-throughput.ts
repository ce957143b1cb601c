/**
 * Webhook deliveries per second from one escalation process, to one endpoint and to ten.
 *
 *   node dist/tools/bench/webhook-throughput.js [--facts 2000] [--endpoints 1,10] [--concurrency 16]
 *
 * For each endpoint count: the real stack (every service a process, a private nats-server, a fresh
 * database), that many endpoints registered over the gateway, each subscribed to `run.finished`, on a
 * receiver on loopback that answers 200 at once. Then `--facts` run-finished facts (distinct runs, so
 * per-run ordering does not serialise them) are published on JetStream, and the clock runs from the
 * first publish to the last delivery received. Every delivery is signed; the receiver does not verify
 * (that cost is the receiver's). Writes the JSON report to .tmp/bench/.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { subjects } from '@gatehouse/contracts';
import { scratchDir } from '../test-support/paths';
import { Stack } from '../test-support/stack';

interface Phase {
  endpoints: number;
  facts: number;
  deliveries: number;
  seconds: number;
  deliveriesPerS: number;
  attemptsInSql: number;
  /** Attempts that did not deliver (each is retried later): 0 when every POST got its 200 first time. */
  failedAttempts: number;
}

async function phase(endpoints: number, facts: number, concurrency: number): Promise<Phase> {
  let received = 0;
  let lastAt = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      lastAt = performance.now();
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const stack = await Stack.start({
    name: `bench-webhooks-${endpoints}`,
    env: { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_CONCURRENCY: String(concurrency), LOG_LEVEL: 'warn' },
  });
  try {
    for (let i = 0; i < endpoints; i++) {
      const res = await fetch(`${stack.baseUrl}/api/webhooks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url: `http://127.0.0.1:${port}/ep/${i}`, events: ['run.finished'] }),
      });
      if (res.status !== 201) throw new Error(`register: ${res.status} ${await res.text()}`);
    }
    const nc = await connect({ servers: stack.nats.url });
    const js = jetstream(nc);
    const started = performance.now();
    for (let i = 0; i < facts; i += 200) {
      await Promise.all(
        Array.from({ length: Math.min(200, facts - i) }, () => {
          const wid = randomUUID();
          const body = {
            workflowID: wid,
            status: 'SUCCESS',
            nextAction: 'NONE',
            lastStep: 'ExecuteST',
            error: null,
            version: 9,
            at: new Date().toISOString(),
          };
          return js.publish(subjects.runFinished(wid), JSON.stringify(body), { msgID: `bench-run-finished:${wid}` });
        }),
      );
    }
    const expected = facts * endpoints;
    const deadline = Date.now() + 600_000;
    while (received < expected) {
      if (Date.now() > deadline) throw new Error(`only ${received} of ${expected} deliveries arrived`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const seconds = (lastAt - started) / 1000;
    await nc.close();
    const [{ n, failed }] = await stack.db.query<{ n: number; failed: number }>(
      `SELECT count(*) FILTER (WHERE outcome = 'DELIVERED')::int AS n,
              count(*) FILTER (WHERE outcome <> 'DELIVERED')::int AS failed
       FROM escalation.webhook_attempts`,
    );
    return {
      endpoints,
      facts,
      deliveries: expected,
      seconds: Math.round(seconds * 100) / 100,
      deliveriesPerS: Math.round(expected / seconds),
      attemptsInSql: n,
      failedAttempts: failed,
    };
  } finally {
    await stack.stop();
    server.closeAllConnections();
    server.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      facts: { type: 'string', default: '2000' },
      endpoints: { type: 'string', default: '1,10' },
      concurrency: { type: 'string', default: '16' },
    },
  });
  const facts = Number(values.facts);
  const concurrency = Number(values.concurrency);
  const phases: Phase[] = [];
  for (const endpoints of values.endpoints.split(',').map(Number)) {
    const p = await phase(endpoints, facts, concurrency);
    phases.push(p);
    process.stdout.write(`${JSON.stringify(p)}\n`);
  }
  const file = join(scratchDir('bench'), 'webhook-throughput.json');
  writeFileSync(file, JSON.stringify({ concurrency, phases }, null, 2));
  process.stdout.write(`report: ${file}\n`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
