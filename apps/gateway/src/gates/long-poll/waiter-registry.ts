import { ErrorCode, GatehouseError } from '@gatehouse/contracts';

export type WakeReason = 'notified' | 'timeout' | 'aborted';

export interface Waiter {
  /** Settles once: on notify, at the timeout, or when the signal aborts. Never rejects. */
  readonly woken: Promise<WakeReason>;
  /** Removes the waiter and its timer (idempotent). */
  cancel(): void;
}

interface Entry {
  wake(reason: WakeReason): void;
}

/**
 * Long-poll waiters keyed by gate (`<wid>/<g>`), woken by an event, not by polling. Each waiter holds
 * one timer for its own timeout; nothing runs while nobody is notified. Bounded: past `maxWaiters`
 * a new waiter is refused with 503 OVERLOADED.
 */
export class WaiterRegistry {
  private readonly byKey = new Map<string, Set<Entry>>();
  private count = 0;

  constructor(readonly maxWaiters: number) {}

  get size(): number {
    return this.count;
  }

  keys(): string[] {
    return [...this.byKey.keys()];
  }

  register(key: string, timeoutMs: number, signal?: AbortSignal): Waiter {
    if (this.count >= this.maxWaiters) {
      throw new GatehouseError(ErrorCode.OVERLOADED, 'too many open long-polls on this gateway; retry later');
    }
    let settled = false;
    let resolve!: (reason: WakeReason) => void;
    const woken = new Promise<WakeReason>((r) => (resolve = r));
    const entry: Entry = { wake: (reason) => finish(reason) };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    const onAbort = () => finish('aborted');
    const finish = (reason: WakeReason) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      this.remove(key, entry);
      resolve(reason);
    };

    let set = this.byKey.get(key);
    if (!set) this.byKey.set(key, (set = new Set()));
    set.add(entry);
    this.count++;
    if (signal?.aborted) finish('aborted');
    else signal?.addEventListener('abort', onAbort, { once: true });
    return { woken, cancel: () => finish('aborted') };
  }

  /** Wakes every waiter of `key`; returns how many were woken. */
  notify(key: string): number {
    const set = this.byKey.get(key);
    if (!set) return 0;
    const entries = [...set];
    for (const e of entries) e.wake('notified');
    return entries.length;
  }

  private remove(key: string, entry: Entry): void {
    const set = this.byKey.get(key);
    if (!set?.delete(entry)) return;
    this.count--;
    if (set.size === 0) this.byKey.delete(key);
  }
}

export const gateWaitKey = (wid: string, g: string) => `${wid}/${g}`;
