/**
 * The webhook sender alone, without the stack: how many POSTs per second one process makes to one
 * endpoint on loopback, and over how many TCP connections (keep-alive reuses them per origin).
 *
 *   node dist/tools/bench/webhook-sender.js [--sends 4000] [--concurrency 16]
 *
 * The receiver answers 200 at once. Prints one JSON line: sends, seconds, sends per second, and the
 * connections the receiver accepted.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { sendWebhook } from '../../apps/escalation/src/webhooks/webhook-sender';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { sends: { type: 'string', default: '4000' }, concurrency: { type: 'string', default: '16' } },
  });
  const sends = Number(values.sends);
  const concurrency = Number(values.concurrency);
  let connections = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200).end());
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ep`;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < sends) {
        next++;
        const r = await sendWebhook({
          url,
          headers: { 'webhook-id': `bench-${next}` },
          body: '{"type":"run.finished","timestamp":"","data":{}}',
          timeoutMs: 10_000,
          allowPrivate: true,
        });
        if (r.status !== 200) throw new Error(`send failed: ${r.error ?? r.status}`);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(
    `${JSON.stringify({ sends, concurrency, seconds: Math.round(seconds * 100) / 100, sendsPerS: Math.round(sends / seconds), connections })}\n`,
  );
  server.closeAllConnections();
  server.close();
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
