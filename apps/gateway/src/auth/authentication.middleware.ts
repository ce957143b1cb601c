import type { IncomingMessage, ServerResponse } from 'node:http';
import { Logger } from '@nestjs/common';
import { ErrorCode, GatehouseError } from '@gatehouse/contracts';
import { ACTOR_HEADER, type Authenticator, type Principal } from '@gatehouse/identity';
import { correlationIdOf } from '../http/correlation';
import type { AuthFailureLimiter } from './auth-failure-limiter';

/** The request after authentication: its principal rides on Node's request object. */
export type AuthenticatedRequest = IncomingMessage & { principal?: Principal };

/** `/healthz`, `/health/*`, `/metrics` and `/docs*` stay open; everything under `/api` needs a principal. */
export function needsPrincipal(url: string | undefined): boolean {
  const path = (url ?? '').split('?')[0];
  return path === '/api' || path.startsWith('/api/');
}

/** Who is asking, for the failure limiter and the security log. */
function clientOf(req: IncomingMessage): string {
  return req.socket?.remoteAddress ?? 'unknown';
}

const security = new Logger('Security');

/**
 * Runs before the body is read (and so before any service is asked to do anything): turns the
 * request's credential into its principal, or refuses it with 401 (429 once a client has failed too
 * often). Each refusal is one security log entry, without the credential.
 */
export function authenticationMiddleware(auth: Authenticator, limiter: AuthFailureLimiter) {
  return (req: AuthenticatedRequest, _res: ServerResponse, next: (err?: unknown) => void): void => {
    if (!needsPrincipal(req.url)) return next();
    const client = clientOf(req);
    const waitS = limiter.retryAfterS(client);
    if (waitS > 0) {
      return next(
        new GatehouseError(ErrorCode.RATE_LIMITED, `too many failed authentications; retry in ${waitS} s`, {
          retryAfterS: waitS,
        }),
      );
    }
    auth
      .authenticate({ authorization: req.headers.authorization, actor: req.headers[ACTOR_HEADER] })
      .then((principal) => {
        req.principal = principal;
        next();
      })
      .catch((err: unknown) => {
        if (err instanceof GatehouseError && err.code === ErrorCode.UNAUTHENTICATED) {
          limiter.failed(client);
          security.warn({
            msg: 'authentication refused',
            client,
            method: req.method,
            path: (req.url ?? '').split('?')[0].slice(0, 200),
            reason: err.message,
            correlationId: correlationIdOf(req),
          });
        }
        next(err);
      });
  };
}
