/** "in 4 min 05 s", "12 s ago": a deadline as people read it. */
export function countdown(deadlineAt: string, now = Date.now()): string {
  const ms = new Date(deadlineAt).getTime() - now;
  const s = Math.round(Math.abs(ms) / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const text =
    h > 0
      ? `${h} h ${String(m).padStart(2, '0')} min`
      : m > 0
        ? `${m} min ${String(sec).padStart(2, '0')} s`
        : `${sec} s`;
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

export function when(at: string | null | undefined): string {
  return at ? new Date(at).toLocaleString() : '—';
}

/** A fresh idempotency key for one form (RFC 4122 v4 from the browser). */
export function newDedupeKey(prefix: string): string {
  return `${prefix}-${crypto.randomUUID()}`;
}
