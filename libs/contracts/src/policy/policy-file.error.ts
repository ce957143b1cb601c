/** A policy file that cannot be read or does not have the documented shape; the message says where. */
export class PolicyFileError extends Error {}

export const fail = (where: string, why: string): never => {
  throw new PolicyFileError(`${where}: ${why}`);
};

/** Strictness: a field the shape does not know is an error naming it (a typo must not fall back to defaults). */
export function refuseUnknownKeys(obj: Record<string, unknown>, allowed: readonly string[], where: string): void {
  const extra = Object.keys(obj).filter((k) => !allowed.includes(k));
  if (extra.length > 0) fail(where, `unknown field(s) ${extra.join(', ')}; allowed: ${allowed.join(', ')}`);
}
