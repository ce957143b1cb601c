import type { VerifiedApiKey } from '@gatehouse/contracts';
import { headerActor } from './actor-header';
import type { AuthMode } from './auth-env';
import { parseAuthorization, unauthenticated, type Credential } from './authorization';
import type { JwtVerifier } from './jwt-verifier';
import { ANONYMOUS, type Principal } from './principal';

/** Finds an active (not revoked) key by its SHA-256; undefined when there is none. */
export type KeyLookup = (hash: string) => Promise<VerifiedApiKey | undefined>;

/** What a request or message says about who sends it. */
export interface CredentialHeaders {
  authorization?: string | string[];
  /** `X-Gatehouse-Actor`: honoured only under AUTH_MODE=off. */
  actor?: string | string[];
}

/**
 * The one place a credential becomes a principal, the same for HTTP and the bus (DESIGN section 10).
 * A presented credential is always judged, whatever the mode: a wrong one is refused, never ignored.
 * Without one, AUTH_MODE=off acts as `anonymous` (or a named actor) and `required` refuses.
 */
export class Authenticator {
  constructor(
    readonly mode: AuthMode,
    private readonly keys: KeyLookup,
    private readonly jwt: JwtVerifier | undefined,
  ) {}

  async authenticate(headers: CredentialHeaders): Promise<Principal> {
    const credential = parseAuthorization(headers.authorization);
    if (credential) return this.verify(credential);
    if (this.mode === 'required') {
      throw unauthenticated('a credential is required: Authorization: Bearer <API key or token>');
    }
    return headerActor(headers.actor) ?? ANONYMOUS;
  }

  private async verify(credential: Credential): Promise<Principal> {
    if (credential.kind === 'key') {
      const key = await this.keys(credential.hash);
      if (!key) throw unauthenticated('unknown or revoked API key');
      return { id: `key:${key.id}`, kind: 'key', name: key.name, roles: key.roles };
    }
    if (!this.jwt) throw unauthenticated('tokens are not accepted: no identity provider is configured');
    return this.jwt.verify(credential.token);
  }
}
