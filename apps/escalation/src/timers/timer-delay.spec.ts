import { MAX_TIMER_DELAY_MS, timerDelayMs } from './timer-delay';

describe('timerDelayMs', () => {
  it('has nothing to wait for when no timer is armed', () => {
    expect(timerDelayMs(null)).toBeNull();
    expect(timerDelayMs(undefined)).toBeNull();
  });

  it('is due at once for a deadline now or in the past', () => {
    expect(timerDelayMs(0)).toBe(0);
    expect(timerDelayMs(-1)).toBe(0);
    expect(timerDelayMs(-86_400_000)).toBe(0);
  });

  it('treats an unreadable distance as due, so the claim query decides', () => {
    expect(timerDelayMs(Number.NaN)).toBe(0);
  });

  it('rounds up so the wake-up is never before the deadline', () => {
    expect(timerDelayMs(0.2)).toBe(1);
    expect(timerDelayMs(999.001)).toBe(1000);
    expect(timerDelayMs(1500)).toBe(1500);
  });

  it('caps the delay to what setTimeout can hold', () => {
    expect(MAX_TIMER_DELAY_MS).toBe(2_147_483_647);
    expect(timerDelayMs(MAX_TIMER_DELAY_MS)).toBe(MAX_TIMER_DELAY_MS);
    expect(timerDelayMs(MAX_TIMER_DELAY_MS + 1)).toBe(MAX_TIMER_DELAY_MS);
    expect(timerDelayMs(365 * 24 * 3600 * 1000)).toBe(MAX_TIMER_DELAY_MS);
    expect(timerDelayMs(Number.POSITIVE_INFINITY)).toBe(MAX_TIMER_DELAY_MS);
  });
});
