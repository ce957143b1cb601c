import { AttemptOutcome } from '@gatehouse/contracts';
import { decideOutcome } from './delivery-outcome';
import { DEFAULT_RETRY_SCHEDULE_S, nextDelayMs, parseRetryAfter, parseRetrySchedule } from './retry-schedule';

describe('retry schedule', () => {
  it('defaults to the Standard Webhooks schedule: 5 s to 10 h, eight attempts in all', () => {
    expect(parseRetrySchedule(DEFAULT_RETRY_SCHEDULE_S)).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000]);
  });

  it.each(['', 'a', '1,,2', '0', '-1', '86401', '1;2'])('refuses %j', (text) => {
    expect(parseRetrySchedule(text)).toBeNull();
  });

  it('adds jitter only after the scheduled delay, never before', () => {
    const options = { jitter: 0.2, retryAfterMs: null, retryAfterMaxMs: 86_400_000 };
    expect(nextDelayMs([5, 300], 1, { ...options, random: () => 0 })).toBe(5000);
    expect(nextDelayMs([5, 300], 1, { ...options, random: () => 0.999 })).toBe(5999);
    expect(nextDelayMs([5, 300], 2, { ...options, random: () => 0.5 })).toBe(330_000);
    expect(nextDelayMs([5, 300], 3, options)).toBeNull();
  });

  it('honours a longer Retry-After, capped', () => {
    const options = { jitter: 0, retryAfterMaxMs: 60_000 };
    expect(nextDelayMs([5], 1, { ...options, retryAfterMs: 30_000 })).toBe(30_000);
    expect(nextDelayMs([5], 1, { ...options, retryAfterMs: 1_000 })).toBe(5_000);
    expect(nextDelayMs([5], 1, { ...options, retryAfterMs: 3_600_000 })).toBe(60_000);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });
});

describe('decideOutcome', () => {
  const policy = { schedule: [1, 2], jitter: 0, retryAfterMaxMs: 86_400_000 };
  const now = 1_000_000;

  it('delivers on 2xx, disables on 410, retries anything else until the schedule is spent', () => {
    expect(decideOutcome({ status: 204, retryAfter: undefined }, 1, policy, now).outcome).toBe(
      AttemptOutcome.DELIVERED,
    );
    expect(decideOutcome({ status: 410, retryAfter: undefined }, 1, policy, now).outcome).toBe(AttemptOutcome.GONE);
    expect(decideOutcome({ status: 500, retryAfter: undefined }, 1, policy, now)).toEqual({
      outcome: AttemptOutcome.RETRY,
      nextAttemptAt: new Date(now + 1000),
    });
    expect(decideOutcome({ status: null, retryAfter: undefined }, 2, policy, now).nextAttemptAt).toEqual(
      new Date(now + 2000),
    );
    expect(decideOutcome({ status: 404, retryAfter: undefined }, 3, policy, now)).toEqual({
      outcome: AttemptOutcome.DEAD,
      nextAttemptAt: null,
    });
    expect(decideOutcome({ status: 301, retryAfter: undefined }, 1, policy, now).outcome).toBe(AttemptOutcome.RETRY);
  });
});
