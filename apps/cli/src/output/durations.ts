import { usageError } from '../cli-error';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/**
 * `90s`, `15m`, `12h`, `30d`, `2w`, or combined `1d12h`, to seconds. A bare number is refused: a
 * retention of "30" is too easy to misread.
 */
export function parseDuration(value: string, flag: string): number {
  const text = value.trim().toLowerCase();
  const parts = [...text.matchAll(/(\d+)([smhdw])/g)];
  if (!text || parts.map((p) => p[0]).join('') !== text) {
    throw usageError(`${flag} must be a duration such as 90s, 15m, 12h, 30d or 1d12h; got ${JSON.stringify(value)}`);
  }
  const seconds = parts.reduce((sum, [, n, unit]) => sum + Number(n) * UNIT_SECONDS[unit], 0);
  if (!Number.isSafeInteger(seconds) || seconds <= 0) throw usageError(`${flag} must be longer than zero`);
  return seconds;
}

/** A short human span: `45s`, `12m`, `3h05m`, `2d04h`. */
export function formatSpan(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d${String(Math.floor((s % 86_400) / 3600)).padStart(2, '0')}h`;
}

/** A deadline as a countdown from `now`: `in 59m`, or `overdue 3m` once passed. */
export function countdown(deadlineAt: string | null | undefined, now: Date): string {
  if (!deadlineAt) return '-';
  const ms = Date.parse(deadlineAt) - now.getTime();
  if (Number.isNaN(ms)) return deadlineAt;
  return ms >= 0 ? `in ${formatSpan(ms / 1000)}` : `overdue ${formatSpan(-ms / 1000)}`;
}
