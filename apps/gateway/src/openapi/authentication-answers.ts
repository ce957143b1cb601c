import type { OpenAPIObject, OperationObject, ResponseObject } from '@nestjs/swagger';
import { ERROR_STATUS, ErrorCode } from '@gatehouse/contracts';
import { needsPrincipal } from '../auth/authentication.middleware';
import { SIGNED_ROUTE } from '../auth/signed-request';
import { errorAnswer } from './api-answers';

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** What authentication adds to every /api operation, before the route's own answers. */
const AUTH_REFUSALS = [ErrorCode.UNAUTHENTICATED, ErrorCode.RATE_LIMITED];

/** Adds `code` to the operation's answer for its status (creating it), keeping the codes already listed. */
function addError(op: OperationObject, code: ErrorCode): void {
  const status = ERROR_STATUS[code];
  const existing = op.responses[String(status)] as ResponseObject | undefined;
  const listed = (existing?.description ?? '').split(', ').filter((c) => c in ErrorCode) as ErrorCode[];
  if (listed.includes(code)) return;
  op.responses[String(status)] = errorAnswer(status, [...listed, code]);
}

/**
 * The security scheme (a bearer API key or JWT) and, on every operation under /api, the answers
 * authentication can give: 401 UNAUTHENTICATED, 429 RATE_LIMITED, and 503 when the key's owner or
 * the identity provider cannot be asked.
 */
export function addAuthentication(document: OpenAPIObject): void {
  const components = (document.components ??= {});
  components.securitySchemes = {
    ...components.securitySchemes,
    bearer: {
      type: 'http',
      scheme: 'bearer',
      description:
        'An API key (`gatehouse_key_...`, from POST /api/keys) or a JWT from the identity provider. ' +
        'Required under AUTH_MODE=required; under AUTH_MODE=off a request without one acts as `anonymous`, ' +
        'or as the unverified actor named by an `X-Gatehouse-Actor` header (ignored under `required`).',
    },
    signedSource: {
      type: 'apiKey',
      in: 'header',
      name: 'webhook-signature',
      description:
        'A Standard Webhooks signature (with `webhook-id` and `webhook-timestamp`) by a source declared in ' +
        'INGRESS_SOURCES_FILE, named by the `source` query parameter. Only on ' +
        SIGNED_ROUTE +
        '.',
    },
  };
  for (const [path, item] of Object.entries(document.paths)) {
    if (!needsPrincipal(path)) continue;
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      op.security = path === SIGNED_ROUTE ? [{ bearer: [] }, { signedSource: [] }] : [{ bearer: [] }];
      for (const code of [...AUTH_REFUSALS, ErrorCode.SERVICE_UNAVAILABLE]) addError(op, code);
    }
  }
}
