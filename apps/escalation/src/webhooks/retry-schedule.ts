/**
 * The Standard Webhooks retry schedule (as Svix delivers it): after the first attempt fails, retry
 * after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h: eight attempts over about a day.
 */
export const DEFAULT_RETRY_SCHEDULE_S = '5,300,1800,7200,18000,36000,36000';

/** Seconds, comma-separated, each above 0 and at most a day; null when the text is not such a list. */
export function parseRetrySchedule(text: string): number[] | null {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.length > 50) return null;
  const values = parts.map((p) => (/^\d+(\.\d+)?$/.test(p) ? Number(p) : Number.NaN));
  return values.every((v) => v > 0 && v <= 86_400) ? values : null;
}

/**
 * Milliseconds until the next attempt after `failed` failed attempts (1 = the first failed), or null
 * when the schedule is spent. Jitter only delays (never earlier than the schedule), so that endpoints
 * recovering at once are not hit by every sender in the same second. A `Retry-After` the receiver
 * sent wins over the schedule when it asks for longer, up to `retryAfterMaxMs`.
 */
export function nextDelayMs(
  schedule: number[],
  failed: number,
  options: { jitter: number; retryAfterMs: number | null; retryAfterMaxMs: number; random?: () => number },
): number | null {
  if (failed < 1 || failed > schedule.length) return null;
  const base = schedule[failed - 1] * 1000;
  const jittered = base * (1 + options.jitter * (options.random ?? Math.random)());
  const asked = options.retryAfterMs === null ? 0 : Math.min(options.retryAfterMs, options.retryAfterMaxMs);
  return Math.round(Math.max(jittered, asked));
}

/** `Retry-After` as seconds or an HTTP date, in ms from `now`; null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | null {
  if (!value) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
