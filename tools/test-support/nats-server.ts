import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { freePort } from './free-port';
import { scratchDir } from './paths';

const CANDIDATES = [process.env.NATS_SERVER_BIN, '/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'];

export function natsServerBinary(): string {
  const found = CANDIDATES.find((p) => p && existsSync(p));
  if (!found) throw new Error('nats-server binary not found; set NATS_SERVER_BIN');
  return found;
}

export interface NatsServerHandle {
  url: string;
  port: number;
  pid: number;
  storeDir: string;
  process: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and store (after stop). */
  restart(): Promise<void>;
}

async function waitForNats(url: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const nc = await connect({ servers: url, timeout: 500 });
      await nc.close();
      return;
    } catch (err) {
      if (Date.now() > until) throw new Error(`nats-server at ${url} did not come up: ${String(err)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** A private JetStream server on a free loopback port, for one test file. Stopped by its pid. */
export async function startNatsServer(name: string): Promise<NatsServerHandle> {
  const port = await freePort();
  const storeDir = scratchDir('nats', `${name}-${port}`);
  rmSync(storeDir, { recursive: true, force: true });
  const logFile = join(scratchDir('nats'), `${name}-${port}.log`);
  const url = `nats://127.0.0.1:${port}`;
  const handle: NatsServerHandle = {
    url,
    port,
    pid: 0,
    storeDir,
    process: undefined as unknown as ChildProcess,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      const p = handle.process;
      if (!p || p.exitCode !== null || p.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        p.once('exit', () => resolve());
        p.kill(signal);
      });
    },
    async restart() {
      launch();
      await waitForNats(url, 10_000);
    },
  };
  const launch = () => {
    const out = openSync(logFile, 'a');
    const child = spawn(natsServerBinary(), ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], {
      stdio: ['ignore', out, out],
    });
    handle.process = child;
    handle.pid = child.pid ?? 0;
  };
  launch();
  await waitForNats(url, 10_000);
  return handle;
}
