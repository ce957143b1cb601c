import type { IncomingMessage } from 'node:http';
import {
  SIGNATURE_HEADERS,
  unauthenticated,
  type Principal,
  type SignedSource,
  type SignedSources,
} from '@gatehouse/identity';

/** The receiver's route: the only one a signed source may call. */
export const SIGNED_ROUTE = '/api/events/hitl';

/** A request whose signature is checked once its body is read (the HMAC covers the raw body). */
export interface PendingSignature {
  source: SignedSource;
  id: string;
  timestamp: string;
  signature: string;
}

export type SignedRequest = IncomingMessage & { principal?: Principal; pendingSignature?: PendingSignature };

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
};

/** A request is a signed-source request when it carries a Standard Webhooks signature. */
export function isSignedRequest(req: IncomingMessage): boolean {
  return req.headers[SIGNATURE_HEADERS.signature] !== undefined;
}

/** After the body: the HMAC over the raw text, with each of the source's secrets. Throws UNAUTHENTICATED. */
export function verifySignedBody(sources: SignedSources, pending: PendingSignature, rawBody: string): Principal {
  return sources.verify(pending.source, rawBody, pending);
}

/** Before the body: the route, the declared source, the headers and the timestamp window. Throws UNAUTHENTICATED. */
export function precheckSignature(sources: SignedSources, req: IncomingMessage): PendingSignature {
  const url = new URL(req.url ?? '/', 'http://gateway');
  if (url.pathname !== SIGNED_ROUTE) throw unauthenticated(`signed requests are taken on ${SIGNED_ROUTE} only`);
  const headers = {
    id: header(req, SIGNATURE_HEADERS.id),
    timestamp: header(req, SIGNATURE_HEADERS.timestamp),
    signature: header(req, SIGNATURE_HEADERS.signature),
  };
  const source = sources.precheck(url.searchParams.get('source') ?? undefined, headers);
  return { source, ...(headers as { id: string; timestamp: string; signature: string }) };
}
