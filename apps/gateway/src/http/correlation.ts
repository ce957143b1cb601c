import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CORRELATION_HEADER } from '@gatehouse/contracts';

const storage = new AsyncLocalStorage<string>();

/** Printable ASCII without spaces, bounded: the id is echoed in headers and logs. */
const ACCEPTABLE_ID = /^[\x21-\x7e]{1,128}$/;

export function correlationIdOf(req: IncomingMessage): string {
  const given = req.headers[CORRELATION_HEADER];
  return typeof given === 'string' && ACCEPTABLE_ID.test(given) ? given : randomUUID();
}

/**
 * First middleware of the app: fixes the request's correlation id (the caller's or a new one),
 * echoes it on the response whatever happens next, and hands it to pino-http as the request id.
 */
export function correlationMiddleware(
  req: IncomingMessage & { id?: unknown },
  res: ServerResponse,
  next: () => void,
): void {
  const id = correlationIdOf(req);
  req.headers[CORRELATION_HEADER] = id;
  req.id = id;
  res.setHeader(CORRELATION_HEADER, id);
  next();
}

/** Runs `work` with `id` as the current correlation id (read by the RPC client). */
export function withCorrelationId<T>(id: string, work: () => T): T {
  return storage.run(id, work);
}

export function currentCorrelationId(): string | undefined {
  return storage.getStore();
}
