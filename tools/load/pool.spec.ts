import { runAtRate, runPool } from './pool';

describe('runPool (closed loop)', () => {
  it('never has more than `concurrency` items in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    await runPool([...Array(20).keys()], 3, async () => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
    });
    expect(peak).toBe(3);
  });
});

describe('runAtRate (open loop)', () => {
  it('starts items on schedule even when earlier ones have not answered', async () => {
    const startedAt: number[] = [];
    const events: string[] = [];
    const t0 = performance.now();
    const paced = await runAtRate([...Array(10).keys()], 200, async (_, i) => {
      startedAt[i] = performance.now() - t0;
      events.push(`start ${i}`);
      await new Promise((r) => setTimeout(r, 300)); // far slower than the 5 ms between arrivals
      events.push(`end ${i}`);
    });
    // 10 arrivals 5 ms apart: the last is not sent before its time (~45 ms), nor held back
    // until the first has answered, as a closed loop of any concurrency below 10 would.
    expect(startedAt[9]).toBeGreaterThanOrEqual(40);
    expect(events.indexOf('start 9')).toBeLessThan(events.indexOf('end 0'));
    expect(paced.lagMaxMs).toBeGreaterThanOrEqual(0);
    expect(paced.lagP99Ms).toBeLessThanOrEqual(paced.lagMaxMs);
  });
});
