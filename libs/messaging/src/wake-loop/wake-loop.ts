/** setTimeout stores its delay in a signed 32-bit int; a longer delay fires at once. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * What a pass asks of its loop: nothing (sleep until poked or polled), `'again'` (more work is
 * waiting: run another pass at once), `{ wakeInMs }` (sleep until poked, at the latest that long), or
 * `{ retryInMs }` (the work is busy elsewhere, say under another replica's lock: the next pass runs
 * after that long, and pokes meanwhile coalesce into it, as after a failed pass).
 */
export type WakePassResult = void | 'again' | { wakeInMs: number } | { retryInMs: number };

export interface WakePass {
  /** The periodic fallback fired since the previous pass began. */
  polled: boolean;
}

export interface WakeLoopOptions {
  /** One pass of work. Passes never overlap. */
  pass: (ctx: WakePass) => Promise<WakePassResult>;
  /** Pokes the loop this often, for work whose poke was lost or came from another process. */
  pollIntervalMs?: number;
  /** After a failed pass the next one waits this long; pokes meanwhile coalesce into it. */
  errorBackoffMs: number;
  /** Told of a failed pass (to log it); the loop goes on. */
  onError: (err: unknown) => void;
}

/**
 * A background loop that sleeps until poked (after a commit, by a notification, by its periodic
 * poll or by a wake-up a pass asked for), then runs passes one at a time. Pokes made during a pass
 * coalesce into exactly one more pass; none is lost, whichever microtask it lands in. A failed pass
 * is reported and retried after a backoff, pokes meanwhile coalescing into the retry. `stop()` waits
 * for the pass in flight; none starts after.
 */
export class WakeLoop {
  private stopped = true;
  private running = false;
  private poked = false;
  private polled = false;
  private holding = false;
  private poll?: NodeJS.Timeout;
  private wake?: NodeJS.Timeout;
  private wakeAtMs: number | null = null;
  private idle: Promise<void> = Promise.resolve();

  constructor(private readonly options: WakeLoopOptions) {}

  /** Starts the periodic poll and runs a first pass. */
  start(): void {
    this.stopped = false;
    if (this.options.pollIntervalMs !== undefined && !this.poll) {
      this.poll = setInterval(() => {
        this.polled = true;
        this.poke();
      }, this.options.pollIntervalMs);
      this.poll.unref();
    }
    this.poke();
  }

  /** Stops the timers and resolves once the pass in flight (if any) has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.poll) clearInterval(this.poll);
    this.poll = undefined;
    this.cancelWake();
    this.holding = false;
    await this.idle;
  }

  /** Asks for a pass: now if the loop is asleep, else one more after the current one (or the hold). */
  poke(): void {
    if (this.stopped) return;
    if (this.running || this.holding) {
      this.poked = true;
      return;
    }
    this.running = true;
    this.idle = this.run();
  }

  /** When a wake-up a pass asked for (or the end of a retry's wait) will poke the loop; null if none is set. */
  get nextWakeAt(): Date | null {
    return this.wakeAtMs === null ? null : new Date(this.wakeAtMs);
  }

  private async run(): Promise<void> {
    try {
      do {
        this.poked = false;
        const polled = this.polled;
        this.polled = false;
        let result: WakePassResult;
        try {
          result = await this.options.pass({ polled });
        } catch (err) {
          this.report(err);
          this.holdFor(this.options.errorBackoffMs);
          return;
        }
        if (result === 'again') this.poked = true;
        else if (!result) this.cancelWake();
        else if ('wakeInMs' in result) this.wakeIn(result.wakeInMs);
        else {
          this.holdFor(result.retryInMs);
          return;
        }
      } while (this.poked && !this.stopped);
    } finally {
      // Cleared in the same synchronous step as the last loop check: a poke that arrives a microtask
      // later starts a new run instead of setting `poked` on one that has ended.
      this.running = false;
    }
  }

  private report(err: unknown): void {
    try {
      this.options.onError(err);
    } catch {
      // A failing logger must not end the loop.
    }
  }

  /** No pass before `ms` from now: pokes until then wait for the wake-up. */
  private holdFor(ms: number): void {
    this.holding = true;
    this.wakeIn(ms);
  }

  /** Sets the loop's one wake-up, replacing any earlier one. */
  private wakeIn(ms: number): void {
    this.cancelWake();
    if (this.stopped) {
      this.holding = false;
      return;
    }
    const delay = Number.isNaN(ms) ? 0 : Math.min(MAX_TIMER_DELAY_MS, Math.max(0, Math.ceil(ms)));
    this.wakeAtMs = Date.now() + delay;
    this.wake = setTimeout(() => {
      this.wake = undefined;
      this.wakeAtMs = null;
      this.holding = false;
      this.poke();
    }, delay);
    this.wake.unref();
  }

  private cancelWake(): void {
    if (this.wake) clearTimeout(this.wake);
    this.wake = undefined;
    this.wakeAtMs = null;
  }
}
