import type { Principal } from './principal';
import { EVERY_ROLE } from './principal';
import { unauthenticated } from './authorization';

/** Names an unverified actor under AUTH_MODE=off (never honoured under `required`). */
export const ACTOR_HEADER = 'x-gatehouse-actor';

/** Letters, digits and `._@-`, as in user names and e-mail addresses. */
const ACTOR_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/;

/**
 * The principal an `X-Gatehouse-Actor` header names: distinct names are distinct principals, each
 * holding every role (it is a laptop try-out, not identity). A malformed name is refused rather than
 * silently treated as anonymous.
 */
export function headerActor(value: string | string[] | undefined): Principal | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value) || !ACTOR_NAME.test(value)) {
    throw unauthenticated('X-Gatehouse-Actor must be 1-100 characters: letters, digits, ".", "_", "@", "-"');
  }
  return { id: `actor:${value}`, kind: 'header', name: value, roles: [EVERY_ROLE] };
}
