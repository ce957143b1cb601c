import type { IncomingMessage, ServerResponse } from 'node:http';
import { Logger } from '@nestjs/common';
import { ErrorCode, GatehouseError } from '@gatehouse/contracts';
import { ACTOR_HEADER, unauthenticated, type Authenticator, type SignedSources } from '@gatehouse/identity';
import { correlationIdOf } from '../http/correlation';
import type { AuthFailureLimiter } from './auth-failure-limiter';
import { isSignedRequest, precheckSignature, verifySignedBody, type SignedRequest } from './signed-request';

/** The request after authentication: its principal rides on Node's request object. */
export type AuthenticatedRequest = SignedRequest;

/**
 * `/healthz`, `/health/*`, `/metrics` and `/docs*` stay open; everything under `/api` needs a principal.
 * Judged on the decoded path, as the router matches it (`/%61pi/intents` reaches `/api/intents`); a
 * path that does not decode needs a principal (fail closed).
 */
export function needsPrincipal(url: string | undefined): boolean {
  let path: string;
  try {
    path = decodeURIComponent((url ?? '').split('?')[0]);
  } catch {
    return true;
  }
  return path === '/api' || path.startsWith('/api/');
}

const isUnauthenticated = (err: unknown): err is GatehouseError =>
  err instanceof GatehouseError && err.code === ErrorCode.UNAUTHENTICATED;

/**
 * Turns a request's credential into its principal, the same way for every /api route: a bearer key
 * or JWT, a Standard Webhooks signature (signed sources of the external receiver), or, without any
 * credential, what AUTH_MODE allows. Every refusal is 401 (429 once a client has failed too often)
 * and one security log entry, which never holds the credential.
 */
export class RequestAuthentication {
  private readonly security = new Logger('Security');

  constructor(
    private readonly auth: Authenticator,
    private readonly limiter: AuthFailureLimiter,
    private readonly sources: SignedSources,
  ) {}

  /**
   * Middleware, run before the body is read (and so before any service is asked to do anything).
   * A signed request is checked as far as it can be without its body; its HMAC is checked by
   * `verifyBody` when the body parser has the raw text.
   */
  readonly middleware = (req: AuthenticatedRequest, _res: ServerResponse, next: (err?: unknown) => void): void => {
    if (!needsPrincipal(req.url)) return next();
    const waitS = this.limiter.retryAfterS(this.clientOf(req));
    if (waitS > 0) {
      return next(
        new GatehouseError(ErrorCode.RATE_LIMITED, `too many failed authentications; retry in ${waitS} s`, {
          retryAfterS: waitS,
        }),
      );
    }
    if (isSignedRequest(req)) {
      try {
        if (req.headers.authorization !== undefined) {
          throw unauthenticated('send either a webhook signature or an Authorization header, not both');
        }
        req.pendingSignature = precheckSignature(this.sources, req);
        return next();
      } catch (err) {
        return next(this.refused(req, err));
      }
    }
    this.auth
      .authenticate({ authorization: req.headers.authorization, actor: req.headers[ACTOR_HEADER] })
      .then((principal) => {
        req.principal = principal;
        next();
      })
      .catch((err: unknown) => next(this.refused(req, err)));
  };

  /** Called by the JSON body parser with the raw text; throws UNAUTHENTICATED when the signature does not verify. */
  verifyBody(req: AuthenticatedRequest, rawBody: string): void {
    const pending = req.pendingSignature;
    if (!pending) return;
    req.pendingSignature = undefined;
    try {
      req.principal = verifySignedBody(this.sources, pending, rawBody);
    } catch (err) {
      throw this.refused(req, err);
    }
  }

  private refused(req: IncomingMessage, err: unknown): unknown {
    if (!isUnauthenticated(err)) return err;
    const client = this.clientOf(req);
    this.limiter.failed(client);
    this.security.warn({
      msg: 'authentication refused',
      client,
      method: req.method,
      path: (req.url ?? '').split('?')[0].slice(0, 200),
      reason: err.message,
      correlationId: correlationIdOf(req),
    });
    return err;
  }

  /**
   * Who is asking, for the failure limiter and the security log: Fastify's `request.ip` (copied onto
   * the raw request for middleware), which follows X-Forwarded-For only through a TRUST_PROXY proxy.
   */
  private clientOf(req: IncomingMessage & { ip?: string }): string {
    return req.ip ?? req.socket?.remoteAddress ?? 'unknown';
  }
}
