/**
 * Runs `work` for every item with at most `concurrency` in flight (a closed-loop load generator:
 * each worker sends its next request when the previous one answered).
 */
export async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await work(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface PacedRun {
  /** How late sends left against their schedule (timer slack, a busy runner): max and p99 in ms. */
  lagMaxMs: number;
  lagP99Ms: number;
}

/**
 * Starts `work` for item i at `i / ratePerS` seconds, whether or not earlier items have answered
 * (an open-loop generator: arrivals do not slow down when the system does, so queueing shows in
 * the latencies instead of hiding in a lower send rate). Resolves when every item has settled.
 */
export async function runAtRate<T>(
  items: readonly T[],
  ratePerS: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<PacedRun> {
  const start = performance.now();
  const lags: number[] = [];
  const pending: Promise<void>[] = [];
  for (let i = 0; i < items.length; i++) {
    const due = start + (1000 * i) / ratePerS;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    lags.push(Math.max(0, performance.now() - due));
    pending.push(work(items[i], i));
  }
  await Promise.all(pending);
  lags.sort((a, b) => a - b);
  const at = (q: number) => (lags.length ? lags[Math.min(lags.length - 1, Math.floor(q * lags.length))] : 0);
  return { lagMaxMs: Math.round(at(1) * 10) / 10, lagP99Ms: Math.round(at(0.99) * 10) / 10 };
}
