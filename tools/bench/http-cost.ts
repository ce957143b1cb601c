/**
 * What the gateway's HTTP layer costs per request, apart from everything behind it: the reply
 * route answered at once by node:http, by Express, by Nest on Express and on Fastify, each also with
 * the gateway's kind of validation (tools/bench/http/http-cost-server.ts), each in its own process.
 *
 *   node dist/tools/bench/http-cost.js [--rate 150] [--seconds 8] [--rounds 3] [--modes raw,express,...]
 *
 * Requests go one every 1/rate s over keep-alive connections, as a service below saturation sees
 * them; the server's time on a CPU (schedstat) and its context switches per request are the
 * medians over the rounds (modes alternate within a round).
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LoadHttpClient } from '../load/http-client';
import { median } from '../load/latency';
import { runAtRate } from '../load/pool';
import { readOnCpuMs, readProc, round } from '../load/proc-stats';
import { freePort } from '../test-support/free-port';
import { spawnUntilReady } from '../test-support/process-control';

const MODES = ['raw', 'express', 'nest', 'nest-validated', 'nest-fastify', 'nest-fastify-validated'];

interface Sample {
  cpuMsPerRequest: number;
  ctxSwitchesPerRequest: number;
}

const servers = new Set<ChildProcess>();
// A failed run must not leave a server behind.
process.on('exit', () => servers.forEach((c) => c.kill('SIGKILL')));

async function startServer(mode: string): Promise<{ child: ChildProcess; baseUrl: string }> {
  const port = await freePort();
  const child = await spawnUntilReady(join(__dirname, 'http', 'http-cost-server.js'), [mode, String(port)]);
  servers.add(child);
  child.once('exit', () => servers.delete(child));
  return { child, baseUrl: `http://127.0.0.1:${port}` };
}

async function measure(mode: string, rate: number, seconds: number): Promise<Sample> {
  const { child, baseUrl } = await startServer(mode);
  const http = new LoadHttpClient(baseUrl, 256);
  const body = { payload: { choice: 'yes', rationale: 'bench' }, dedupeKey: 'bench-1' };
  const send = async () => {
    const a = await http.post('reply', '/api/runs/r1/gates/plan/reply', body);
    if (a.status !== 200) throw new Error(`${mode}: answered ${a.status} ${JSON.stringify(a.body)}`);
  };
  try {
    await runAtRate(Array.from({ length: 500 }), 1000, send); // warm-up: JIT, sockets
    const n = Math.round(rate * seconds);
    const cpu0 = readOnCpuMs(child.pid!);
    const ctx0 = readProc(child.pid!)!.ctxSwitches;
    await runAtRate(Array.from({ length: n }), rate, send);
    return {
      cpuMsPerRequest: round((readOnCpuMs(child.pid!) - cpu0) / n, 3),
      ctxSwitchesPerRequest: round((readProc(child.pid!)!.ctxSwitches - ctx0) / n, 2),
    };
  } finally {
    http.close();
    child.kill();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string', default: '150' },
      seconds: { type: 'string', default: '8' },
      rounds: { type: 'string', default: '3' },
      modes: { type: 'string', default: MODES.join(',') },
    },
  });
  const [rate, seconds, rounds] = [values.rate, values.seconds, values.rounds].map(Number);
  const modes = values.modes.split(',');
  if (![rate, seconds, rounds].every((n) => Number.isInteger(n) && n > 0)) throw new Error('positive integers only');
  const unknown = modes.filter((m) => !MODES.includes(m));
  if (unknown.length) throw new Error(`unknown modes ${unknown.join(', ')}; known: ${MODES.join(', ')}`);
  const samples = new Map<string, Sample[]>(modes.map((m) => [m, []]));
  for (let r = 0; r < rounds; r++)
    for (const mode of modes) samples.get(mode)!.push(await measure(mode, rate, seconds));
  const base = median(samples.get(modes[0])!.map((s) => s.cpuMsPerRequest));
  process.stdout.write(`server process per request at ${rate}/s, median of ${rounds} rounds:\n`);
  for (const mode of modes) {
    const ss = samples.get(mode)!;
    const cpu = median(ss.map((s) => s.cpuMsPerRequest));
    process.stdout.write(
      `  ${mode.padEnd(15)} ${String(cpu).padStart(6)} ms CPU (${round(cpu / base, 2)}x ${modes[0]})  ` +
        `${median(ss.map((s) => s.ctxSwitchesPerRequest))} context switches  [${ss.map((s) => s.cpuMsPerRequest).join(', ')}]\n`,
    );
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
