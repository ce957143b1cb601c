/** Where a principal's identity was established. */
export type PrincipalKind = 'anonymous' | 'key' | 'jwt' | 'source' | 'header';

/**
 * Who is acting (DESIGN section 10). `id` is what the ledger records as the actor: stable, unique
 * per principal and prefixed by its kind (`key:<uuid>`, `jwt:<sub>`, `source:<id>`, `actor:<name>`,
 * `anonymous`). `name` is for people.
 */
export interface Principal {
  id: string;
  kind: PrincipalKind;
  name: string;
  roles: readonly string[];
  /** A signed source relays for this person (recorded as `onBehalfOf`, never as the actor). */
  onBehalfOf?: string;
}

/** A role list holding every role: the anonymous principal (and named actors) under AUTH_MODE=off. */
export const EVERY_ROLE = '*';

/** Under AUTH_MODE=off a request without a credential acts as this principal. */
export const ANONYMOUS: Principal = Object.freeze({
  id: 'anonymous',
  kind: 'anonymous',
  name: 'anonymous',
  roles: Object.freeze([EVERY_ROLE]),
});

export function hasRole(principal: Principal, role: string): boolean {
  return principal.roles.includes(EVERY_ROLE) || principal.roles.includes(role);
}

/** Longest principal id: the ledger's actor column and the reply command accept 200 characters. */
export const MAX_PRINCIPAL_ID = 200;
