import { MAX_TIMER_DELAY_MS } from '@gatehouse/messaging';

export { MAX_TIMER_DELAY_MS };

/**
 * The delay before the scheduler should wake for the earliest armed deadline.
 * `msUntil` is `deadline - now` as measured by the database (null when nothing is armed), so the
 * app's clock never matters. Returns null for "nothing to wait for", 0 for "due now", and rounds
 * up so that a wake-up never comes before the deadline the database will compare against.
 */
export function timerDelayMs(msUntil: number | null | undefined): number | null {
  if (msUntil === null || msUntil === undefined) return null;
  if (Number.isNaN(msUntil)) return 0;
  if (msUntil <= 0) return 0;
  return Math.min(MAX_TIMER_DELAY_MS, Math.ceil(msUntil));
}
