import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { provisionStreams } from '@gatehouse/messaging';
import { createTestDatabase, type TestDatabase } from './database';
import { freePort } from './free-port';
import { consumerStates, streamStates, type ConsumerState, type StreamState } from './jetstream-state';
import { startNatsCluster, type NatsClusterHandle } from './nats-cluster';
import { startNatsServer, type NatsEndpoint, type NatsServerHandle } from './nats-server';
import { startSecuredNatsServer, type NatsCredentials, type SecuredNatsServer } from './nats-secured';
import { ROOT, scratchDir } from './paths';
import { startPostgresServer, type PostgresServerHandle, type PostgresServerOptions } from './postgres-server';
import { isRunning, stopChild } from './process-control';

/**
 * The compiled services the stack runs: `dist/` of this workspace, or GATEHOUSE_DIST_DIR (e.g. a
 * build of a pinned commit, so a long chaos run is not disturbed by a rebuild in progress).
 */
export const DIST_DIR = process.env.GATEHOUSE_DIST_DIR ?? join(ROOT, 'dist');

/** A fixed test value (not a secret): the at-rest key of webhook secrets in stacks with AUTH_MODE=required. */
const STACK_WEBHOOK_SECRET_KEY = 'gatehouse-test-stack-webhook-secret-key-0123';

export type StackService = 'gateway' | 'runs' | 'gates' | 'escalation';
export const STACK_SERVICES: StackService[] = ['runs', 'gates', 'escalation', 'gateway'];

export interface StackOptions {
  /** Used for the database name and the log folder. */
  name: string;
  /** Extra environment for every service process. */
  env?: Record<string, string>;
  /** Replicas per service (default 1 each). */
  replicas?: Partial<Record<StackService, number>>;
  /** Gateway replicas (same as `replicas.gateway`); each on its own free port. */
  gateways?: number;
  /**
   * Run on a private Postgres instance started for this stack (initdb into .tmp/pg/), which the
   * test may crash and restart. Default: a fresh database on the shared server.
   */
  privatePostgres?: boolean | PostgresServerOptions;
  /**
   * A private NATS cluster of this many nodes (3 for the R3 lane) instead of one server. Streams
   * are provisioned with replicas = min(3, nodes) and the services get STREAM_REPLICAS and every
   * node's URL in NATS_URL.
   */
  natsClusterSize?: number;
  /**
   * Run NATS with the shipped users and permissions (deploy/nats/auth.conf): streams are provisioned
   * by the `provisioner` user and each service connects as its own user. Not with natsClusterSize.
   */
  natsAuth?: boolean;
}

export interface ServiceProcess {
  service: StackService;
  index: number;
  port?: number;
  /** A backend's admin port: /health/live, /health/ready, /metrics. */
  adminPort?: number;
  child?: ChildProcess;
  logFile: string;
  /** Log size when the current incarnation was launched (its readiness line comes after). */
  logOffset: number;
  launches: number;
}

/**
 * The real services as separate processes against a private nats-server (or cluster) and a fresh
 * database (optionally on a private Postgres): what e2e and chaos tests drive over HTTP.
 * Logs go to .tmp/e2e/<name>-<time>/.
 */
export class Stack {
  readonly processes: ServiceProcess[] = [];
  private constructor(
    readonly options: StackOptions,
    /** The NATS deployment: `nats.url` is what NATS_URL gets (comma-separated for a cluster). */
    readonly nats: NatsEndpoint,
    readonly db: TestDatabase,
    readonly logDir: string,
    /** Set when `natsClusterSize` was given. */
    readonly natsCluster?: NatsClusterHandle,
    /** Set when `privatePostgres` was given. */
    readonly postgres?: PostgresServerHandle,
    /** Set when `natsAuth` was given. */
    readonly securedNats?: SecuredNatsServer,
  ) {}

  /** The credentials of a user of deploy/nats/auth.conf (a stack started with `natsAuth`). */
  natsCredentials(user: string): NatsCredentials {
    if (!this.securedNats) throw new Error('natsCredentials needs StackOptions.natsAuth');
    return this.securedNats.creds(user);
  }

  static async start(options: StackOptions): Promise<Stack> {
    const entry = join(DIST_DIR, 'apps', 'gateway', 'src', 'main.js');
    if (!existsSync(entry)) throw new Error(`${DIST_DIR} is missing: run \`npm run build\` first (npm test does)`);
    let natsCluster: NatsClusterHandle | undefined;
    let postgres: PostgresServerHandle | undefined;
    let nats: NatsEndpoint | undefined;
    let securedNats: SecuredNatsServer | undefined;
    let db: TestDatabase | undefined;
    if (options.natsAuth && options.natsClusterSize) throw new Error('natsAuth runs a single server');
    try {
      const startNats = async (): Promise<NatsEndpoint> => {
        if (options.natsAuth) {
          securedNats = await startSecuredNatsServer(options.name);
          return securedNats.server;
        }
        if (!options.natsClusterSize) return startNatsServer(options.name);
        natsCluster = await startNatsCluster(options.name, options.natsClusterSize);
        return natsCluster;
      };
      const startDb = async (): Promise<TestDatabase> => {
        if (!options.privatePostgres) return createTestDatabase(options.name);
        postgres = await startPostgresServer(
          options.name,
          options.privatePostgres === true ? {} : options.privatePostgres,
        );
        return createTestDatabase(options.name, postgres.url);
      };
      [nats, db] = await Promise.all([startNats(), startDb()]);
      const nc = await connect({
        servers: nats.url.split(','),
        ...(securedNats ? securedNats.creds('provisioner') : {}),
      });
      await provisionStreams(nc, { replicas: Stack.streamReplicas(options) });
      await nc.close();
    } catch (err) {
      await nats?.stop('SIGKILL').catch(() => undefined);
      await (postgres ? postgres.destroy() : db?.drop())?.catch(() => undefined);
      throw err;
    }
    const stack = new Stack(
      options,
      nats,
      db,
      scratchDir('e2e', `${options.name}-${Date.now()}`),
      natsCluster,
      postgres,
      securedNats,
    );
    for (const service of STACK_SERVICES) {
      const n =
        service === 'gateway'
          ? (options.gateways ?? options.replicas?.gateway ?? 1)
          : (options.replicas?.[service] ?? 1);
      for (let i = 0; i < n; i++) {
        const port = service === 'gateway' ? await freePort() : undefined;
        const adminPort = service === 'gateway' ? undefined : await freePort();
        stack.processes.push({
          service,
          index: i,
          port,
          adminPort,
          logFile: join(stack.logDir, `${service}-${i}.log`),
          logOffset: 0,
          launches: 0,
        });
      }
    }
    try {
      for (const p of stack.processes) stack.launch(p);
      await stack.waitHealthy();
    } catch (err) {
      await stack.stop();
      throw err;
    }
    return stack;
  }

  private static streamReplicas(options: StackOptions): number {
    return options.natsClusterSize ? Math.min(3, options.natsClusterSize) : 1;
  }

  /** Base URL of the first (or n-th) gateway. */
  gatewayUrl(index = 0): string {
    const gw = this.processes.filter((p) => p.service === 'gateway')[index];
    if (!gw) throw new Error(`no gateway ${index}`);
    return `http://127.0.0.1:${gw.port}`;
  }

  /** Every gateway's base URL. */
  gatewayUrls(): string[] {
    return this.processes.filter((p) => p.service === 'gateway').map((p) => `http://127.0.0.1:${p.port}`);
  }

  /** Base URL of a process's health and metrics: a backend's admin port, a gateway's HTTP port. */
  adminUrl(service: StackService, index = 0): string {
    const p = this.find(service, index);
    return `http://127.0.0.1:${p.adminPort ?? p.port}`;
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
      STREAM_REPLICAS: String(Stack.streamReplicas(this.options)),
      LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'info',
      GATEHOUSE_SKIP_PREPARE: 'true',
      DB_POOL_MAX: '5',
      SBX_MOCK_DELAY_MS: '20',
      ...(p.port ? { PORT: String(p.port) } : {}),
      ...(this.securedNats ? { NATS_USER: p.service, NATS_PASSWORD: this.securedNats.creds(p.service).pass } : {}),
      ...(p.adminPort ? { ADMIN_PORT: String(p.adminPort) } : {}),
      // The escalation service refuses its development key under AUTH_MODE=required; a test may override.
      ...(this.options.env?.AUTH_MODE === 'required' ? { WEBHOOK_SECRET_KEY: STACK_WEBHOOK_SECRET_KEY } : {}),
      ...this.options.env,
    };
  }

  private find(service: StackService, index: number): ServiceProcess {
    const p = this.processes.find((x) => x.service === service && x.index === index);
    if (!p) throw new Error(`no ${service} ${index}`);
    return p;
  }

  private launch(p: ServiceProcess): void {
    if (isRunning(p.child)) throw new Error(`${p.service} ${p.index} is still running`);
    p.logOffset = existsSync(p.logFile) ? statSync(p.logFile).size : 0;
    p.launches++;
    const out = openSync(p.logFile, 'a');
    p.child = spawn(process.execPath, [join(DIST_DIR, 'apps', p.service, 'src', 'main.js')], {
      env: this.env(p),
      stdio: ['ignore', out, out],
    });
  }

  /**
   * Polls GET /healthz until every service answers (test harness only; the product never polls).
   * The default allows 20 s per process: a stack starting on a two-core machine that is busy with
   * other work has taken over 40 s. A healthy stack returns as soon as it answers.
   */
  async waitHealthy(timeoutMs = Math.max(60_000, 20_000 * this.processes.length)): Promise<void> {
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

  /**
   * Waits until one process's current incarnation is ready: a gateway answers HTTP, a backend
   * service has logged "<service> ready" (its consumers and request/reply are live).
   */
  async waitReady(service: StackService, index = 0, timeoutMs = 30_000): Promise<void> {
    const p = this.find(service, index);
    const until = Date.now() + timeoutMs;
    for (;;) {
      if (!isRunning(p.child))
        throw new Error(`${service} ${index} exited (${p.child?.exitCode ?? p.child?.signalCode}); log ${p.logFile}`);
      if (service === 'gateway') {
        try {
          await fetch(`http://127.0.0.1:${p.port}/healthz`);
          return;
        } catch {
          /* not listening yet */
        }
      } else if (this.logSince(p).includes(`"${service} ready"`)) {
        return;
      }
      if (Date.now() > until) throw new Error(`${service} ${index} not ready after ${timeoutMs} ms; log ${p.logFile}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private logSince(p: ServiceProcess): string {
    if (!existsSync(p.logFile)) return '';
    return readFileSync(p.logFile).subarray(p.logOffset).toString('utf8');
  }

  /** The whole log of one process (every incarnation). */
  log(service: StackService, index = 0): string {
    const p = this.find(service, index);
    return existsSync(p.logFile) ? readFileSync(p.logFile, 'utf8') : '';
  }

  isAlive(service: StackService, index = 0): boolean {
    return isRunning(this.find(service, index).child);
  }

  /** Kills one service process (SIGKILL by default) and waits for it to be gone. */
  async kill(service: StackService, index = 0, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.processes.find((x) => x.service === service && x.index === index)?.child;
    if (child) await stopChild(child, signal);
  }

  /** Sends a signal without waiting (SIGSTOP / SIGCONT to freeze and thaw a process, as a long GC or VM pause would). */
  signal(service: StackService, index: number, signal: NodeJS.Signals): void {
    const child = this.find(service, index).child;
    if (!isRunning(child)) throw new Error(`${service} ${index} is not running`);
    child!.kill(signal);
  }

  /** Starts a killed service again with the same settings (does not wait; see restartAndWait). */
  restart(service: StackService, index = 0): void {
    this.launch(this.find(service, index));
  }

  /** Starts a killed service again and waits until it is ready. */
  async restartAndWait(service: StackService, index = 0, timeoutMs = 30_000): Promise<void> {
    this.restart(service, index);
    await this.waitReady(service, index, timeoutMs);
  }

  /** Stops every service process (not NATS, not Postgres). */
  async stopServices(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await Promise.all(this.processes.map((p) => this.kill(p.service, p.index, signal)));
  }

  /** Starts every stopped service process again and waits until the stack is healthy. */
  async startServices(timeoutMs = 60_000): Promise<void> {
    for (const p of this.processes) if (!isRunning(p.child)) this.launch(p);
    await Promise.all(this.processes.map((p) => this.waitReady(p.service, p.index, timeoutMs)));
    await this.waitHealthy(timeoutMs);
  }

  /** Stops the NATS deployment (all nodes) and starts it again with the same stores. */
  async restartNats(signal: NodeJS.Signals = 'SIGKILL', downMs = 0): Promise<void> {
    await this.nats.stop(signal);
    if (downMs) await new Promise((r) => setTimeout(r, downMs));
    await this.nats.restart();
  }

  /** Stops the private Postgres (SIGQUIT: a crash as far as durability goes) and starts it again. */
  async restartPostgres(signal: NodeJS.Signals = 'SIGQUIT', downMs = 0): Promise<void> {
    if (!this.postgres) throw new Error('restartPostgres needs StackOptions.privatePostgres');
    await this.postgres.stop(signal);
    if (downMs) await new Promise((r) => setTimeout(r, downMs));
    await this.postgres.restart();
  }

  /** Delivery state of every declared durable consumer. */
  consumerStates(): Promise<ConsumerState[]> {
    return consumerStates(this.nats.url, this.securedNats?.creds('provisioner'));
  }

  /** Every stream with its replica set. */
  streamStates(): Promise<StreamState[]> {
    return streamStates(this.nats.url, this.securedNats?.creds('provisioner'));
  }

  async stop(): Promise<void> {
    await this.stopServices('SIGTERM');
    await this.nats.stop();
    if (this.postgres) {
      await this.db.close();
      await this.postgres.destroy();
    } else {
      await this.db.drop().catch(() => undefined);
    }
  }
}

export type { NatsServerHandle, NatsClusterHandle, PostgresServerHandle };
