import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from './free-port';
import { scratchDir } from './paths';
import { isRunning, stopChild } from './process-control';

const BIN_CANDIDATES = [
  process.env.PG_BIN_DIR,
  '/usr/lib/postgresql/15/bin',
  '/usr/lib/postgresql/16/bin',
  '/usr/lib/postgresql/17/bin',
];

export function postgresBinDir(): string {
  const found = BIN_CANDIDATES.find((d) => d && existsSync(join(d, 'initdb')) && existsSync(join(d, 'postgres')));
  if (!found) throw new Error('Postgres binaries (initdb, postgres) not found; set PG_BIN_DIR');
  return found;
}

export interface PostgresServerOptions {
  /** max_connections of the instance (default 100, as a stock server). */
  maxConnections?: number;
  /** Extra `-c name=value` settings. */
  settings?: Record<string, string | number>;
}

export interface PostgresServerHandle {
  /** URL of the maintenance database `postgres` as superuser `postgres` (trust auth, loopback only). */
  url: string;
  port: number;
  pid: number;
  dataDir: string;
  logFile: string;
  readonly running: boolean;
  /**
   * Stops the postmaster by its pid. SIGINT: fast shutdown (default). SIGQUIT: immediate shutdown,
   * which is a crash as far as durability goes (no checkpoint; WAL replay at the next start).
   * SIGKILL: the postmaster dies at once; its backends notice and exit on their own.
   */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and data directory; waits until it accepts connections. */
  restart(): Promise<void>;
  /** Stops it and deletes its data directory. */
  destroy(): Promise<void>;
}

/** initdb refuses to run as root: when the test runs as root, Postgres runs as user `postgres`. */
function runAs(): { prefix: string[]; uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return { prefix: [] };
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { prefix: ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--init-groups', '--'], uid, gid };
}

function command(prefix: string[], bin: string, args: string[]): [string, string[]] {
  return prefix.length ? [prefix[0], [...prefix.slice(1), bin, ...args]] : [bin, args];
}

async function canConnect(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * A private Postgres instance for one test file: initdb into .tmp/pg/, the postmaster on a free
 * loopback port (no Unix socket), stopped by its pid. Tests can crash and restart it at will,
 * which the shared server on 5432 must never see.
 */
export async function startPostgresServer(
  name: string,
  options: PostgresServerOptions = {},
): Promise<PostgresServerHandle> {
  const bin = postgresBinDir();
  const port = await freePort();
  const root = scratchDir('pg', `${name}-${port}`);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const dataDir = join(root, 'data');
  const logFile = join(root, 'postgres.log');
  const user = runAs();
  if (user.uid !== undefined) chownSync(root, user.uid, user.gid ?? user.uid);

  const [initCmd, initArgs] = command(user.prefix, join(bin, 'initdb'), [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '--auth=trust',
    '-E',
    'UTF8',
    '--locale=C',
    '--no-sync',
  ]);
  execFileSync(initCmd, initArgs, { stdio: ['ignore', 'pipe', 'pipe'] });

  const settings: Record<string, string | number> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: '',
    max_connections: options.maxConnections ?? 100,
    shared_buffers: '32MB',
    ...options.settings,
  };
  const args = [
    '-D',
    dataDir,
    '-p',
    String(port),
    ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
  ];
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let child: ChildProcess | undefined;

  const launchOnce = async (timeoutMs: number): Promise<boolean> => {
    const out = openSync(logFile, 'a');
    const [cmd, cmdArgs] = command(user.prefix, join(bin, 'postgres'), args);
    const c = spawn(cmd, cmdArgs, { stdio: ['ignore', out, out] });
    child = c;
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (!isRunning(c)) return false;
      if (await canConnect(url)) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  };

  const launch = async (): Promise<void> => {
    // After a SIGKILL the old backends may hold shared memory for a moment: the new postmaster
    // refuses to start until they are gone, so try again until it does.
    const until = Date.now() + 30_000;
    for (;;) {
      if (await launchOnce(20_000)) return;
      if (child) await stopChild(child, 'SIGKILL');
      if (Date.now() > until) {
        const tail = readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n');
        throw new Error(`private Postgres on ${port} did not start; log tail:\n${tail}`);
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  };

  const handle: PostgresServerHandle = {
    url,
    port,
    dataDir,
    logFile,
    get pid() {
      return child?.pid ?? 0;
    },
    get running() {
      return isRunning(child);
    },
    async stop(signal: NodeJS.Signals = 'SIGINT') {
      if (child) await stopChild(child, signal);
    },
    async restart() {
      if (isRunning(child)) throw new Error(`private Postgres on ${port} is still running; stop it first`);
      await launch();
    },
    async destroy() {
      if (child) await stopChild(child, 'SIGQUIT', 5_000);
      rmSync(root, { recursive: true, force: true });
    },
  };
  await launch();
  return handle;
}
