/**
 * At most `max` calls of `run` in progress at once; the rest wait in arrival order. Used to keep
 * handlers' `prepare()` calls (external systems: a compiler, a sandbox) at the consumer's
 * concurrency however many deliveries a batch holds.
 */
export class Limiter {
  private active = 0;
  private readonly queue: (() => void)[] = [];

  constructor(private readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new Error(`Limiter needs a positive integer, got ${max}`);
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.active++;
    try {
      return await work();
    } finally {
      // Hand the slot straight to the next waiter (active stays the same), or free it.
      const next = this.queue.shift();
      if (next) next();
      else this.active--;
    }
  }
}
