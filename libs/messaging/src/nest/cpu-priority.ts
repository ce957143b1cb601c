import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/**
 * Gives this process a lower CPU priority (a nice value, 0-19) on a host it shares with the other
 * services, Postgres and NATS. On Linux a nice value belongs to each thread, and V8's and libuv's
 * threads exist before this runs, so every thread of the process gets it; raising a nice value
 * needs no privilege. 0 changes nothing, and neither does a value below the one the process was
 * started with (under `nice -n 10`, RUNS_NICE=7 must not put runs ahead of its sibling services).
 */
export function lowerCpuPriority(
  requested: number,
  warn: (msg: string) => void = (msg) => void process.stderr.write(`${msg}\n`),
  os: PriorityCalls = { getPriority, setPriority, threads: ownThreads },
): void {
  const nice = Math.max(requested, os.getPriority(0));
  if (requested === 0 || nice === os.getPriority(0)) return;
  let firstError: unknown;
  for (const tid of os.threads()) {
    try {
      os.setPriority(tid, nice);
    } catch (err) {
      firstError ??= err; // one thread may have ended between the listing and the call
    }
  }
  // The JavaScript thread is the one that matters: say so if even it kept its priority.
  if (firstError !== undefined && os.getPriority(0) !== nice) {
    warn(`could not set the CPU priority to nice ${nice}: ${String(firstError)}; running at ${os.getPriority(0)}`);
  }
}

/** The system calls lowerCpuPriority makes (a seam for its spec). */
export interface PriorityCalls {
  getPriority(tid: number): number;
  setPriority(tid: number, nice: number): void;
  threads(): number[];
}

function ownThreads(): number[] {
  try {
    return readdirSync('/proc/self/task').map(Number);
  } catch {
    return [0]; // not Linux: the process itself
  }
}
