import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, GatehouseError } from '@gatehouse/contracts';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** A body the JSON parser would silently skip (another content type) is refused as 415, not ignored. */
export function requireJsonBody(req: IncomingMessage, _res: ServerResponse, next: (err?: unknown) => void): void {
  if (hasBody(req) && !JSON_TYPE.test(req.headers['content-type'] ?? '')) {
    next(new GatehouseError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'a request body must be sent as application/json'));
    return;
  }
  next();
}

/** Content types the JSON parser reads (kept in step with requireJsonBody). */
export const JSON_BODY_TYPES = ['application/json', 'application/*+json'];
