import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/**
 * Gives this process a lower CPU priority (a nice value, 0-19) on a host it shares with the other
 * services, Postgres and NATS. On Linux a nice value belongs to each thread, and V8's and libuv's
 * threads exist before this runs, so every thread of the process gets it; raising a nice value
 * needs no privilege. 0 changes nothing.
 */
export function lowerCpuPriority(nice: number, warn = (msg: string) => process.stderr.write(`${msg}\n`)): void {
  if (nice === 0) return;
  let threads: number[];
  try {
    threads = readdirSync('/proc/self/task').map(Number);
  } catch {
    threads = [0]; // not Linux: the process itself
  }
  let firstError: unknown;
  for (const tid of threads) {
    try {
      setPriority(tid, nice);
    } catch (err) {
      firstError ??= err; // one thread may have ended between the listing and the call
    }
  }
  // The JavaScript thread is the one that matters: say so if even it kept its priority.
  if (firstError !== undefined && getPriority(0) !== nice) {
    warn(`could not set the CPU priority to nice ${nice}: ${String(firstError)}; running at ${getPriority(0)}`);
  }
}
