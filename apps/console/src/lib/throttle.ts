/** The clock a throttle reads and the timer it sets: the browser's, or a fake one in tests. */
export interface Timers {
  now(): number;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface Throttle {
  /** Asks for a run: now if none ran in the last interval, else once at the end of it. */
  call(): void;
  /** Drops a run that is waiting (the page closed). */
  cancel(): void;
}

/**
 * At most one run of `run` per `intervalMs`, however often `call()` comes: the first call of a quiet
 * spell runs at once, later ones collapse into one run when the interval is over. Every call is
 * followed by a run that starts after it, so the last of a burst is never missed.
 */
export function throttle(run: () => void, intervalMs: number, timers: Timers = realTimers): Throttle {
  let lastRun = -Infinity;
  let waiting: unknown = null;
  const fire = () => {
    waiting = null;
    lastRun = timers.now();
    run();
  };
  return {
    call() {
      if (waiting !== null) return;
      const wait = lastRun + intervalMs - timers.now();
      if (wait <= 0) fire();
      else waiting = timers.setTimeout(fire, wait);
    },
    cancel() {
      if (waiting !== null) timers.clearTimeout(waiting);
      waiting = null;
    },
  };
}
