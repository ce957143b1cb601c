import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { ErrorCode, GatehouseError, isRoleName } from '@gatehouse/contracts';
import { unauthenticated } from './authorization';
import { MAX_PRINCIPAL_ID, type Principal } from './principal';

/** Asymmetric algorithms only: a shared-secret (HS*) or unsigned token is never accepted. */
export const JWT_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];

export interface JwtSettings {
  /** The identity provider's JWKS endpoint; or `publicKeyFile`. */
  jwksUrl?: string;
  /** A PEM public key (SPKI) or a JWKS / JWK JSON document. */
  publicKeyFile?: string;
  issuer: string;
  audience: string;
  /** Claim holding the roles: an array of names or a space-separated string; a dotted path reaches nested claims. */
  rolesClaim: string;
  algorithms: string[];
  clockToleranceS: number;
}

type KeySource = KeyObject | JWTVerifyGetKey;

/** Reads a public key file: PEM, a JWKS `{keys: [...]}` or a single JWK. Throws with a plain message. */
export function loadPublicKeyFile(path: string): KeySource {
  const text = readFileSync(path, 'utf8').trim();
  if (text.startsWith('{')) {
    const doc = JSON.parse(text) as { keys?: unknown[] };
    return createLocalJWKSet(
      (Array.isArray(doc.keys) ? doc : { keys: [doc] }) as Parameters<typeof createLocalJWKSet>[0],
    );
  }
  return createPublicKey(text);
}

function claimAt(payload: JWTPayload, path: string): unknown {
  let value: unknown = payload;
  for (const part of path.split('.')) {
    if (!value || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** Roles a token grants: names that are not valid role names are dropped. */
export function rolesFrom(payload: JWTPayload, claim: string): string[] {
  const raw = claimAt(payload, claim);
  const list = typeof raw === 'string' ? raw.split(/\s+/) : Array.isArray(raw) ? raw : [];
  return [...new Set(list.filter(isRoleName))];
}

function displayName(payload: JWTPayload, sub: string): string {
  for (const claim of ['name', 'preferred_username', 'email']) {
    const v = payload[claim];
    if (typeof v === 'string' && v.length > 0 && v.length <= 200) return v;
  }
  return sub;
}

/** Why a token was refused, in words that reveal nothing about the keys. */
function refusal(err: unknown): GatehouseError {
  if (err instanceof errors.JWTExpired) return unauthenticated('token expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    return unauthenticated(`token claim "${err.claim}" not accepted`);
  }
  // ERR_JOSE_GENERIC is thrown only by the remote key set: a non-200 answer or a body that is not JSON.
  const providerFault = ['ERR_JWKS_INVALID', 'ERR_JOSE_GENERIC'];
  if (err instanceof errors.JWKSTimeout || (err instanceof errors.JOSEError && providerFault.includes(err.code))) {
    return new GatehouseError(ErrorCode.SERVICE_UNAVAILABLE, 'the identity provider keys could not be fetched');
  }
  if (err instanceof errors.JOSEError) return unauthenticated('token not accepted: signature, algorithm or key');
  // fetch() failing on the remote JWKS (a TypeError from Node's realm): the provider is unreachable,
  // not the caller's fault.
  const { name, message } = (err ?? {}) as { name?: unknown; message?: unknown };
  if (name === 'TypeError' && message === 'fetch failed') {
    return new GatehouseError(ErrorCode.SERVICE_UNAVAILABLE, 'the identity provider keys could not be fetched');
  }
  return unauthenticated('token not accepted');
}

/** Verifies bearer JWTs from the organisation's identity provider (DESIGN section 10) with `jose`. */
export class JwtVerifier {
  private constructor(
    private readonly key: KeySource,
    private readonly settings: JwtSettings,
  ) {}

  /** Undefined when no JWT source is configured (then every JWT is refused). */
  static create(settings: JwtSettings): JwtVerifier | undefined {
    if (settings.jwksUrl) {
      return new JwtVerifier(createRemoteJWKSet(new URL(settings.jwksUrl), { timeoutDuration: 3000 }), settings);
    }
    if (settings.publicKeyFile) return new JwtVerifier(loadPublicKeyFile(settings.publicKeyFile), settings);
    return undefined;
  }

  async verify(token: string): Promise<Principal> {
    let payload: JWTPayload;
    try {
      const options = {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        algorithms: this.settings.algorithms,
        clockTolerance: this.settings.clockToleranceS,
        requiredClaims: ['exp', 'sub'],
      };
      // Two calls rather than one over a union: jose's overloads take a key or a key getter.
      payload =
        typeof this.key === 'function'
          ? (await jwtVerify(token, this.key, options)).payload
          : (await jwtVerify(token, this.key, options)).payload;
    } catch (err) {
      throw refusal(err);
    }
    const sub = payload.sub as string;
    const id = `jwt:${sub}`;
    if (!sub || id.length > MAX_PRINCIPAL_ID) throw unauthenticated('token subject is empty or too long');
    return { id, kind: 'jwt', name: displayName(payload, sub), roles: rolesFrom(payload, this.settings.rolesClaim) };
  }
}
