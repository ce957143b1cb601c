/**
 * What one wake-up costs on this machine: the CPU a process spends on a small message when it was
 * asleep before it, against the same message when it is kept busy.
 *
 *   node dist/tools/bench/wake-cost.js [--messages 1000] [--rounds 3] [--rates 1000,300,100,30]
 *
 * A child process echoes each TCP message it reads (loopback, no parsing: the least a service does
 * with a message). The client sends the same messages first in a ping-pong (the next one as soon as
 * the answer is back: the echo process sleeps for a few microseconds at most), then on a fixed
 * schedule at each rate (it sleeps 1/rate seconds between messages, as a service does below
 * saturation). For each, the echo process's own time on a CPU (/proc/<pid>/task/* schedstat, in
 * nanoseconds, not clock ticks) and its context switches, per message; rounds alternate and the
 * summary is the median. A reply sets off a fixed number of such wake-ups across the services,
 * nats-server and Postgres, so this is the per-hop price the load runner's fixed-rate lanes pay.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { median } from '../load/latency';
import { readOnCpuMs, readProc, round } from '../load/proc-stats';

const ECHO_SERVER = `
  const server = require('node:net').createServer((s) => {
    s.setNoDelay(true);
    s.on('error', () => {}).on('data', (d) => s.write(d));
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
`;

interface Sample {
  cpuUsPerMessage: number;
  ctxSwitchesPerMessage: number;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

function positiveInts(name: string, fallback: string): number[] {
  const v = arg(name, fallback).split(',').map(Number);
  if (v.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error(`--${name} takes positive integers`);
  return v;
}

async function startEcho(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['-e', ECHO_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  return { child, port: Number(line.toString().trim()) };
}

/** Resolves when `bytes` more bytes have come back on the socket. */
function echoed(socket: Socket, bytes: number): Promise<void> {
  return new Promise((resolve) => {
    let left = bytes;
    const onData = (d: Buffer) => {
      left -= d.length;
      if (left <= 0) {
        socket.off('data', onData);
        resolve();
      }
    };
    socket.on('data', onData);
  });
}

async function measure(pid: number, send: () => Promise<void>, messages: number): Promise<Sample> {
  const cpu0 = readOnCpuMs(pid);
  const ctx0 = readProc(pid)?.ctxSwitches ?? 0;
  await send();
  const cpu1 = readOnCpuMs(pid);
  const ctx1 = readProc(pid)?.ctxSwitches ?? 0;
  return {
    cpuUsPerMessage: round((1000 * (cpu1 - cpu0)) / messages, 1),
    ctxSwitchesPerMessage: round((ctx1 - ctx0) / messages, 2),
  };
}

async function pingPong(socket: Socket, payload: Buffer, messages: number): Promise<void> {
  for (let i = 0; i < messages; i++) {
    const back = echoed(socket, payload.length);
    socket.write(payload);
    await back;
  }
}

/** One message every 1/rate s on a fixed schedule; waits for the last echo. */
async function paced(socket: Socket, payload: Buffer, messages: number, rate: number): Promise<void> {
  const all = echoed(socket, payload.length * messages);
  const t0 = performance.now();
  for (let i = 0; i < messages; i++) {
    const wait = t0 + (1000 * i) / rate - performance.now();
    if (wait > 0) await sleep(wait);
    socket.write(payload);
  }
  await all;
}

async function main(): Promise<void> {
  const messages = positiveInts('messages', '1000')[0];
  const rounds = positiveInts('rounds', '3')[0];
  const rates = positiveInts('rates', '1000,300,100,30');
  // About the size of a JetStream publish of a gate event, headers included.
  const payload = Buffer.alloc(400, 'x');
  const { child, port } = await startEcho();
  const socket = connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  await once(socket, 'connect');
  try {
    await pingPong(socket, payload, 200); // warm-up: JIT, socket buffers
    const modes = ['ping-pong', ...rates.map((r) => `${r}/s`)];
    const samples = new Map<string, Sample[]>(modes.map((m) => [m, []]));
    for (let round = 0; round < rounds; round++) {
      samples.get('ping-pong')!.push(await measure(child.pid!, () => pingPong(socket, payload, messages), messages));
      for (const rate of rates) {
        // At most ~5 s per paced phase, so the slow rates do not dominate the bench's time.
        const n = Math.min(messages, rate * 5);
        samples.get(`${rate}/s`)!.push(await measure(child.pid!, () => paced(socket, payload, n, rate), n));
      }
    }
    const base = median(samples.get('ping-pong')!.map((s) => s.cpuUsPerMessage));
    process.stdout.write(`echo process, ${payload.length}-byte messages, median of ${rounds} rounds:\n`);
    for (const mode of modes) {
      const ss = samples.get(mode)!;
      const cpu = median(ss.map((s) => s.cpuUsPerMessage));
      process.stdout.write(
        `  ${mode.padEnd(10)} ${String(cpu).padStart(7)} µs CPU per message (${round(cpu / base, 1)}x ping-pong)  ` +
          `${median(ss.map((s) => s.ctxSwitchesPerMessage))} context switches per message  ` +
          `[${ss.map((s) => s.cpuUsPerMessage).join(', ')}]\n`,
      );
    }
  } finally {
    socket.destroy();
    child.kill();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
