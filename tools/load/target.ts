import { join, resolve } from 'node:path';
import { ROOT } from '../test-support/paths';
import { Stack } from '../test-support/stack';
import type { PgSampler } from './pg-sampler';
import type { WatchedProcess } from './proc-stats';

/** Environment the load lanes give a spawned stack: the product's defaults where the test harness trims them. */
export const LOAD_STACK_ENV: Record<string, string> = { DB_POOL_MAX: '10' };

/** What a load run drives: a stack it spawned, or one already running elsewhere. */
export interface Target {
  baseUrl: string;
  databaseUrl: string;
  natsUrl?: string;
  spawned: boolean;
  env?: Record<string, string>;
  logDir?: string;
  /** The stack's own processes (services, nats-server) when spawned; none otherwise. */
  processes(): WatchedProcess[];
  /** Spawned with --profile-dir: toggles the services' CPU profilers (see cpu-profile-hook.ts). */
  toggleProfilers?(): void;
  /** Spawned only: pauses (SIGSTOP) or resumes (SIGCONT) every process of one service. */
  pauseService?(service: string, paused: boolean): void;
  stop(): Promise<void>;
}

/** Environment that preloads the CPU-profile hook into every service process. */
export function profilerEnv(dir: string): Record<string, string> {
  const hook = join(ROOT, 'dist', 'tools', 'load', 'cpu-profile-hook.js');
  return { NODE_OPTIONS: `--require ${hook}`, GATEHOUSE_CPU_PROFILE_DIR: resolve(dir) };
}

export async function spawnTarget(name: string, env: Record<string, string>, profileDir?: string): Promise<Target> {
  const merged = { ...LOAD_STACK_ENV, ...env, ...(profileDir ? profilerEnv(profileDir) : {}) };
  const stack = await Stack.start({ name, env: merged });
  return {
    baseUrl: stack.baseUrl,
    databaseUrl: stack.db.url,
    natsUrl: stack.nats.url,
    spawned: true,
    env: merged,
    logDir: stack.logDir,
    processes: () => [
      ...stack.processes
        .filter((p) => p.child?.pid)
        .map((p) => ({ name: stackProcessName(stack, p.service, p.index), pid: p.child!.pid! })),
      { name: 'nats-server', pid: stack.nats.pid },
    ],
    toggleProfilers: profileDir
      ? () => {
          for (const p of stack.processes) p.child?.kill('SIGWINCH');
        }
      : undefined,
    pauseService: (service, paused) => {
      for (const p of stack.processes) if (p.service === service) p.child?.kill(paused ? 'SIGSTOP' : 'SIGCONT');
    },
    stop: async () => {
      // A paused process ignores SIGTERM until resumed: never leave one stopped.
      for (const p of stack.processes) p.child?.kill('SIGCONT');
      await stack.stop();
    },
  };
}

function stackProcessName(stack: Stack, service: string, index: number): string {
  const replicas = stack.processes.filter((p) => p.service === service).length;
  return replicas > 1 ? `${service}-${index}` : service;
}

export function externalTarget(baseUrl: string, databaseUrl: string, natsUrl?: string): Target {
  return { baseUrl, databaseUrl, natsUrl, spawned: false, processes: () => [], stop: async () => undefined };
}

/** The target's processes plus the Postgres backends of its database (same machine only). */
export async function watchedWithBackends(target: Target, sampler: PgSampler): Promise<WatchedProcess[]> {
  const pids = await sampler.backends().catch(() => [] as number[]);
  return [...target.processes(), ...pids.map((pid) => ({ name: 'postgres backends', pid }))];
}
