import { ErrorCode, GatehouseError } from '@gatehouse/contracts';
import { API_KEY_PREFIX, hashApiKey, isWellFormedApiKey } from './api-key';

/** A credential read from an `Authorization` header, not yet verified. */
export type Credential = { kind: 'key'; hash: string } | { kind: 'jwt'; token: string };

/** Longest header judged at all: a real key or token is far shorter. */
const MAX_HEADER = 8192;
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export function unauthenticated(message: string): GatehouseError {
  return new GatehouseError(ErrorCode.UNAUTHENTICATED, message);
}

/**
 * Reads `Authorization: Bearer <key or JWT>`. No header: undefined. Anything else that is not a
 * well-formed key or compact JWT is UNAUTHENTICATED: a credential is either usable or refused,
 * never ignored. The header's value is never echoed in the error.
 */
export function parseAuthorization(header: string | string[] | undefined): Credential | undefined {
  if (header === undefined) return undefined;
  if (Array.isArray(header) || header.length > MAX_HEADER) throw unauthenticated('malformed Authorization header');
  const token = BEARER.exec(header)?.[1];
  if (!token) throw unauthenticated('Authorization must be "Bearer <API key or token>"');
  if (token.startsWith(API_KEY_PREFIX)) {
    if (!isWellFormedApiKey(token)) throw unauthenticated('malformed API key');
    return { kind: 'key', hash: hashApiKey(token) };
  }
  if (JWT_SHAPE.test(token)) return { kind: 'jwt', token };
  throw unauthenticated('the bearer credential is neither a Gatehouse API key nor a JWT');
}
