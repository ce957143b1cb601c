import { AuthFailureLimiter } from './auth-failure-limiter';

describe('AuthFailureLimiter', () => {
  it('lets a client fail `limit` times, then asks it to wait until the window ends', () => {
    let now = 1_000_000;
    const limiter = new AuthFailureLimiter(3, 60_000, () => now);
    for (let i = 0; i < 3; i++) {
      expect(limiter.retryAfterS('10.0.0.1')).toBe(0);
      limiter.failed('10.0.0.1');
    }
    expect(limiter.retryAfterS('10.0.0.1')).toBe(60);
    now += 45_500;
    expect(limiter.retryAfterS('10.0.0.1')).toBe(15);
    expect(limiter.retryAfterS('10.0.0.2')).toBe(0);
    now += 14_500;
    expect(limiter.retryAfterS('10.0.0.1')).toBe(0);
  });

  it('counts each client on its own', () => {
    const limiter = new AuthFailureLimiter(1, 1000);
    limiter.failed('a');
    expect(limiter.retryAfterS('a')).toBeGreaterThan(0);
    expect(limiter.retryAfterS('b')).toBe(0);
  });
});
