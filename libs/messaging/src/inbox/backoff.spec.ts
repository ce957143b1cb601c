import { redeliveryDelayMs } from './backoff';

describe('redeliveryDelayMs', () => {
  const sample = (n: number, cap?: number) => Array.from({ length: 500 }, () => redeliveryDelayMs(n, cap));

  it.each([
    [1, 250],
    [2, 500],
    [3, 1000],
    [5, 4000],
    [8, 30_000],
    [50, 30_000],
  ])('after delivery %i stays within +-20%% of %i ms', (n, base) => {
    const delays = sample(n);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(Math.floor(base * 0.8));
    expect(Math.max(...delays)).toBeLessThanOrEqual(Math.ceil(base * 1.2));
    for (const d of delays) expect(Number.isInteger(d)).toBe(true);
  });

  it('treats a delivery count of 0 or less like the first delivery', () => {
    for (const n of [0, -3]) {
      for (const d of sample(n)) {
        expect(d).toBeGreaterThanOrEqual(200);
        expect(d).toBeLessThanOrEqual(300);
      }
    }
  });

  it('never exceeds the cap (plus jitter) and stays finite for huge counts', () => {
    for (const d of sample(10_000, 1000)) {
      expect(Number.isFinite(d)).toBe(true);
      expect(d).toBeLessThanOrEqual(1200);
      expect(d).toBeGreaterThanOrEqual(800);
    }
  });

  it('is jittered: replicas failing together do not retry in lockstep', () => {
    expect(new Set(sample(4)).size).toBeGreaterThan(10);
  });
});
