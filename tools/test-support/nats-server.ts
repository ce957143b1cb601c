import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type ConnectionOptions } from '@nats-io/transport-node';
import { freePort } from './free-port';
import { scratchDir } from './paths';
import { stopChild } from './process-control';

const CANDIDATES = [
  process.env.NATS_SERVER_BIN,
  '/usr/sbin/nats-server',
  '/usr/bin/nats-server',
  '/usr/local/bin/nats-server',
];

export function natsServerBinary(): string {
  const found = CANDIDATES.find((p) => p && existsSync(p));
  if (!found) throw new Error('nats-server binary not found; set NATS_SERVER_BIN');
  return found;
}

/** What a test needs of any NATS deployment: where to connect, and how to bounce it. */
export interface NatsEndpoint {
  /** One URL, or several comma-separated for a cluster (the format of NATS_URL). */
  url: string;
  /** The server's pid (a cluster: its first node's). */
  readonly pid: number;
  stop(signal?: NodeJS.Signals): Promise<void>;
  restart(): Promise<void>;
}

export interface NatsServerHandle extends NatsEndpoint {
  port: number;
  storeDir: string;
  logFile: string;
  process: ChildProcess;
  /** True while the process runs. */
  readonly running: boolean;
  /** Starts it again on the same port and store (after stop). */
  restart(): Promise<void>;
}

/** Credentials a readiness probe connects with (a server that refuses anonymous clients). */
export type NatsProbeAuth = Pick<ConnectionOptions, 'user' | 'pass' | 'inboxPrefix'>;

export async function waitForNats(url: string, timeoutMs: number, auth: NatsProbeAuth = {}): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const nc = await connect({ servers: url, timeout: 500, ...auth });
      await nc.close();
      return;
    } catch (err) {
      if (Date.now() > until) throw new Error(`nats-server at ${url} did not come up: ${String(err)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/**
 * One nats-server process with fixed arguments, which `stop` kills by its pid and `restart`
 * launches again identically (same port, same store): what a cluster node or a single server is.
 */
export function natsProcess(opts: {
  port: number;
  storeDir: string;
  logFile: string;
  args: string[];
  /** Environment of the server process (the passwords a configuration refers to). */
  env?: NodeJS.ProcessEnv;
  /** Credentials the readiness probe uses. */
  probeAuth?: NatsProbeAuth;
}): NatsServerHandle {
  const url = `nats://127.0.0.1:${opts.port}`;
  let child: ChildProcess | undefined;
  const launch = () => {
    const out = openSync(opts.logFile, 'a');
    child = spawn(natsServerBinary(), opts.args, { stdio: ['ignore', out, out], env: opts.env ?? process.env });
  };
  const handle: NatsServerHandle = {
    url,
    port: opts.port,
    storeDir: opts.storeDir,
    logFile: opts.logFile,
    get pid() {
      return child?.pid ?? 0;
    },
    get process() {
      return child as ChildProcess;
    },
    get running() {
      return !!child && child.exitCode === null && child.signalCode === null;
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child) await stopChild(child, signal);
    },
    async restart() {
      if (handle.running) throw new Error(`nats-server on ${opts.port} is still running; stop it first`);
      launch();
      await waitForNats(url, 15_000, opts.probeAuth);
    },
  };
  launch();
  return handle;
}

/** A private JetStream server on a free loopback port, for one test file. Stopped by its pid. */
export async function startNatsServer(name: string): Promise<NatsServerHandle> {
  const port = await freePort();
  const storeDir = scratchDir('nats', `${name}-${port}`);
  rmSync(storeDir, { recursive: true, force: true });
  const logFile = join(scratchDir('nats'), `${name}-${port}.log`);
  const handle = natsProcess({
    port,
    storeDir,
    logFile,
    args: ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir],
  });
  await waitForNats(handle.url, 10_000);
  return handle;
}
