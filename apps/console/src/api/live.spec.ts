import { backoffMs } from './live';

describe('reconnect backoff', () => {
  it('doubles from about 1 s to at most 30 s, jittered within the upper half', () => {
    expect([0, 1, 2, 3, 4, 5, 9].map((n) => backoffMs(n, () => 1))).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000,
    ]);
    expect(backoffMs(0, () => 0)).toBe(500);
    expect(backoffMs(8, () => 0)).toBe(15000);
  });
});
