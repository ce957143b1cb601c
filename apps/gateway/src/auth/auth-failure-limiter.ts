/** Failures of one client within the current window. */
interface Window {
  startedAt: number;
  failures: number;
}

/** Above this many tracked clients, expired windows are swept on the next failure. */
const SWEEP_ABOVE = 10_000;

/**
 * Slows repeated authentication failures from one client address: after `limit` failures within a
 * fixed window, every /api request from that address is answered 429 until the window ends. Per
 * process (each gateway replica counts its own), in memory, bounded by sweeping expired windows.
 */
export class AuthFailureLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds the client must wait, or 0 when it may try. */
  retryAfterS(client: string): number {
    const w = this.current(client);
    if (!w || w.failures < this.limit) return 0;
    return Math.max(1, Math.ceil((w.startedAt + this.windowMs - this.now()) / 1000));
  }

  failed(client: string): void {
    const w = this.current(client);
    if (w) {
      w.failures++;
      return;
    }
    if (this.windows.size >= SWEEP_ABOVE) this.sweep();
    this.windows.set(client, { startedAt: this.now(), failures: 1 });
  }

  private current(client: string): Window | undefined {
    const w = this.windows.get(client);
    if (w && this.now() - w.startedAt >= this.windowMs) {
      this.windows.delete(client);
      return undefined;
    }
    return w;
  }

  private sweep(): void {
    const now = this.now();
    for (const [client, w] of this.windows) if (now - w.startedAt >= this.windowMs) this.windows.delete(client);
  }
}
