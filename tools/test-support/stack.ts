import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { provisionStreams } from '@gatehouse/messaging';
import { createTestDatabase, type TestDatabase } from './database';
import { freePort } from './free-port';
import { startNatsServer, type NatsServerHandle } from './nats-server';
import { ROOT, scratchDir } from './paths';

export type StackService = 'gateway' | 'runs' | 'gates' | 'escalation';
export const STACK_SERVICES: StackService[] = ['runs', 'gates', 'escalation', 'gateway'];

export interface StackOptions {
  /** Used for the database name and the log folder. */
  name: string;
  /** Extra environment for every service process. */
  env?: Record<string, string>;
  /** Replicas per service (default 1 each). */
  replicas?: Partial<Record<StackService, number>>;
}

interface ServiceProcess {
  service: StackService;
  index: number;
  port?: number;
  child?: ChildProcess;
  logFile: string;
}

/**
 * The real services as separate processes against a private nats-server and a fresh database:
 * what e2e tests drive over HTTP. Logs go to .tmp/e2e/<name>/.
 */
export class Stack {
  readonly processes: ServiceProcess[] = [];
  private constructor(
    readonly options: StackOptions,
    readonly nats: NatsServerHandle,
    readonly db: TestDatabase,
    readonly logDir: string,
  ) {}

  static async start(options: StackOptions): Promise<Stack> {
    const entry = join(ROOT, 'dist', 'apps', 'gateway', 'src', 'main.js');
    if (!existsSync(entry)) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
    const [nats, db] = await Promise.all([startNatsServer(options.name), createTestDatabase(options.name)]);
    const nc = await connect({ servers: nats.url });
    await provisionStreams(nc, { replicas: 1 });
    await nc.close();
    const stack = new Stack(options, nats, db, scratchDir('e2e', `${options.name}-${Date.now()}`));
    for (const service of STACK_SERVICES) {
      const n = options.replicas?.[service] ?? 1;
      for (let i = 0; i < n; i++) {
        const port = service === 'gateway' ? await freePort() : undefined;
        stack.processes.push({ service, index: i, port, logFile: join(stack.logDir, `${service}-${i}.log`) });
      }
    }
    for (const p of stack.processes) stack.launch(p);
    await stack.waitHealthy();
    return stack;
  }

  /** Base URL of the first (or n-th) gateway. */
  gatewayUrl(index = 0): string {
    const gw = this.processes.filter((p) => p.service === 'gateway')[index];
    if (!gw) throw new Error(`no gateway ${index}`);
    return `http://127.0.0.1:${gw.port}`;
  }

  get baseUrl(): string {
    return this.gatewayUrl(0);
  }

  env(p: ServiceProcess): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'test',
      DATABASE_URL: this.db.url,
      NATS_URL: this.nats.url,
      LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'info',
      GATEHOUSE_SKIP_PREPARE: 'true',
      DB_POOL_MAX: '5',
      SBX_MOCK_DELAY_MS: '20',
      ...(p.port ? { PORT: String(p.port) } : {}),
      ...this.options.env,
    };
  }

  private launch(p: ServiceProcess): void {
    const out = openSync(p.logFile, 'a');
    p.child = spawn(process.execPath, [join(ROOT, 'dist', 'apps', p.service, 'src', 'main.js')], {
      env: this.env(p),
      stdio: ['ignore', out, out],
    });
  }

  /** Polls GET /healthz until every service answers (test harness only; the product never polls). */
  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    const gateways = this.processes.filter((p) => p.service === 'gateway');
    for (const gw of gateways) {
      for (;;) {
        try {
          const res = await fetch(`http://127.0.0.1:${gw.port}/healthz`);
          const body = (await res.json()) as { ok?: boolean };
          if (res.status === 200 && body.ok === true) break;
        } catch {
          /* not up yet */
        }
        if (Date.now() > until) throw new Error(`stack not healthy after ${timeoutMs} ms; logs in ${this.logDir}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Kills one service process (SIGKILL by default) and waits for it to be gone. */
  async kill(service: StackService, index = 0, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const p = this.processes.find((x) => x.service === service && x.index === index);
    const child = p?.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }

  /** Starts a killed service again with the same settings. */
  restart(service: StackService, index = 0): void {
    const p = this.processes.find((x) => x.service === service && x.index === index);
    if (!p) throw new Error(`no ${service} ${index}`);
    this.launch(p);
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((p) => this.kill(p.service, p.index, 'SIGTERM')));
    await this.nats.stop();
    await this.db.drop().catch(() => undefined);
  }
}
