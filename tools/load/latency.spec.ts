import { LatencyRecorder, median, percentile } from './latency';

describe('latency percentiles', () => {
  it('uses nearest rank on the sorted samples', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 90)).toBe(90);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBe(0);
  });

  it('summarizes samples added in any order', () => {
    const rec = new LatencyRecorder();
    for (const ms of [30, 10, 20, 40, 1000]) rec.add(ms);
    expect(rec.summary()).toEqual({ count: 5, p50: 30, p90: 1000, p99: 1000, max: 1000, mean: 220 });
  });

  it('takes the median of repeated measurements', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});
