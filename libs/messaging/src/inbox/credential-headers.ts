/**
 * Headers that carry a credential (a bearer key or token, a cookie, a webhook signature): never logged,
 * never stored. Lowercase; header names are matched whatever their case.
 */
export const CREDENTIAL_HEADERS: readonly string[] = ['authorization', 'cookie', 'x-api-key', 'webhook-signature'];

export const REDACTED = '[redacted]';

/** The headers with every credential's value replaced, for what is kept of a message (a dead letter). */
export function withoutCredentials(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    out[name] = CREDENTIAL_HEADERS.includes(name.toLowerCase()) ? REDACTED : value;
  }
  return out;
}
