import type { INestMicroservice, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { EnvValidationError, validateEnv, type CommonEnv } from '@gatehouse/contracts';
import { migrate } from '@gatehouse/persistence';
import { connectAs, NatsAccessError, natsConnectionOptions } from '../jetstream/nats-connection';
import { provisionStreams } from '../jetstream/provision';
import { RpcErrorFilter } from '../rpc/rpc-error.filter';
import { rpcServerOptions } from '../rpc/rpc-server';
import { DrainState } from '../health/drain-state';
import { lowerCpuPriority } from './cpu-priority';

export interface BootstrapOptions<T extends CommonEnv = CommonEnv> {
  service: string;
  module: Type<unknown>;
  env: Type<T>;
  /** Run migrations and stream provisioning before starting (idempotent; default true). */
  prepare?: boolean;
  /** The process's nice value from its settings (see `lowerCpuPriority`); default 0. */
  cpuNice?: (env: T) => number;
}

/** The inbox name of the provisioning step's connection (the `provisioner` NATS user's `_INBOX.provisioner.>`). */
const PROVISIONER = 'provisioner';

/** Prints a configuration error and exits: a bad setting must stop the process, clearly. */
export function exitOnBadEnv<T extends CommonEnv>(service: string, cls: Type<T>): T {
  try {
    return validateEnv(cls);
  } catch (err) {
    if (err instanceof EnvValidationError) {
      process.stderr.write(`[${service}] ${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}

/**
 * Makes sure the database schema and the streams exist. Safe from many processes at once. Under NATS
 * permissions only the `provisioner` user may manage streams: run this with its credentials (the
 * `gatehouse migrate` job) and start the services with GATEHOUSE_SKIP_PREPARE=true.
 * Returns the names of the migrations this call applied (none when the schema was up to date).
 */
export async function prepareInfrastructure(env: CommonEnv): Promise<{ migrations: string[] }> {
  const migrations = await migrate(env.DATABASE_URL);
  const nc = await connectAs(natsConnectionOptions(env, PROVISIONER, 'gatehouse-provision'));
  try {
    await provisionStreams(nc, { replicas: env.STREAM_REPLICAS });
  } catch (err) {
    if (env.NATS_USER && isPermissionViolation(err)) {
      throw new NatsAccessError(
        `NATS user "${env.NATS_USER}" may not provision streams: provision as the NATS user "provisioner" ` +
          `and start the services with GATEHOUSE_SKIP_PREPARE=true (docs/nats-security.md)`,
        { cause: err },
      );
    }
    throw err;
  } finally {
    await nc.close();
  }
  return { migrations };
}

/**
 * Nest's shutdown hooks stop the application on SIGTERM or SIGINT: consumers settle their in-flight
 * messages, connections close. Readiness turns false on the signal itself, before any module's
 * shutdown hook runs (one may take a while). Should shutdown hang (a database that went away
 * mid-query), the process exits at the end of its grace period anyway, before the orchestrator's
 * SIGKILL; nothing it had not settled is lost, since the server redelivers it.
 */
function drainOnSignal(app: INestMicroservice, service: string, graceMs: number): void {
  const onSignal = (signal: NodeJS.Signals) => {
    try {
      app.get(DrainState, { strict: false }).begin();
    } catch {
      // A service without the health module has no readiness to turn off.
    }
    setTimeout(() => {
      process.stderr.write(`[${service}] ${signal}: shutdown exceeded SHUTDOWN_GRACE_MS=${graceMs}; exiting\n`);
      process.exit(1);
    }, graceMs).unref();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}

function isPermissionViolation(err: unknown): boolean {
  for (let e = err as { message?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (/permissions violation/i.test(String(e.message))) return true;
  }
  return false;
}

/** A NatsAccessError stops the process as a configuration error (exit 78); anything else is rethrown. */
export function exitOnNatsAccessError(service: string, err: unknown): void {
  if (!(err instanceof NatsAccessError)) return;
  process.stderr.write(`[${service}] ${err.message}\n`);
  process.exit(78); // EX_CONFIG
}

/** Starts a backend service: request/reply on its NATS queue group plus its JetStream consumers. */
export async function bootstrapService<T extends CommonEnv>(options: BootstrapOptions<T>): Promise<INestMicroservice> {
  process.env.GATEHOUSE_SERVICE = options.service;
  const env = exitOnBadEnv(options.service, options.env);
  lowerCpuPriority(options.cpuNice?.(env) ?? 0);
  try {
    if (options.prepare !== false && process.env.GATEHOUSE_SKIP_PREPARE !== 'true') {
      await prepareInfrastructure(env);
    }
    const app = await NestFactory.createMicroservice(options.module, {
      ...rpcServerOptions(options.service, env),
      bufferLogs: true,
      // Let a failed start reach the catch below (Nest would log and exit 1 itself).
      abortOnError: false,
    });
    app.useLogger(app.get(Logger));
    app.useGlobalFilters(new RpcErrorFilter());
    app.enableShutdownHooks();
    drainOnSignal(app, options.service, env.SHUTDOWN_GRACE_MS);
    await app.listen();
    app.get(Logger).log(`${options.service} ready`);
    return app;
  } catch (err) {
    exitOnNatsAccessError(options.service, err);
    throw err;
  }
}
