/**
 * Every error the platform answers with. The string value is the stable code clients see in
 * `{"error": CODE, "message": ...}`; the status map below is the single source of HTTP statuses.
 */
export enum ErrorCode {
  VALIDATION_FAILED = 'VALIDATION_FAILED',
  /** No credential, or one that is malformed, unknown, revoked, expired or from a foreign issuer. */
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  /** The principal is known but lacks the role the action needs. */
  FORBIDDEN = 'FORBIDDEN',
  /** Too many failed authentications from one client; wait `Retry-After` seconds. */
  RATE_LIMITED = 'RATE_LIMITED',
  INVALID_JSON = 'INVALID_JSON',
  PAYLOAD_TOO_LARGE = 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE = 'UNSUPPORTED_MEDIA_TYPE',
  INVALID_GATE_KEY = 'INVALID_GATE_KEY',
  INVALID_TIMEOUT = 'INVALID_TIMEOUT',
  INVALID_CHOICE = 'INVALID_CHOICE',
  QUEUE_NOT_ALLOWED = 'QUEUE_NOT_ALLOWED',
  PARTITION_KEY_REQUIRED = 'PARTITION_KEY_REQUIRED',
  UNKNOWN_RECIPE = 'UNKNOWN_RECIPE',
  INTENT_NOT_FOUND = 'INTENT_NOT_FOUND',
  RUN_NOT_FOUND = 'RUN_NOT_FOUND',
  KEY_NOT_FOUND = 'KEY_NOT_FOUND',
  /** Revoking this key would leave no active API key with the `admin` role (nobody could manage keys). */
  LAST_ADMIN_KEY = 'LAST_ADMIN_KEY',
  /** No webhook endpoint with that id (or it was deleted). */
  WEBHOOK_NOT_FOUND = 'WEBHOOK_NOT_FOUND',
  /** No delivery with that id for that endpoint. */
  DELIVERY_NOT_FOUND = 'DELIVERY_NOT_FOUND',
  /** A webhook URL that is not HTTPS, does not resolve, or resolves to a private or loopback address. */
  WEBHOOK_URL_REFUSED = 'WEBHOOK_URL_REFUSED',
  GATE_NOT_FOUND = 'GATE_NOT_FOUND',
  ROUTE_NOT_FOUND = 'ROUTE_NOT_FOUND',
  DEDUPE_CONFLICT = 'DEDUPE_CONFLICT',
  GATE_CLOSED = 'GATE_CLOSED',
  NO_PENDING_GATE = 'NO_PENDING_GATE',
  TOPIC_MISMATCH = 'TOPIC_MISMATCH',
  RUN_CONFLICT = 'RUN_CONFLICT',
  /** Pause or resume of a run that already ended (SUCCESS, ERROR, CANCELLED, ...). */
  RUN_FINISHED = 'RUN_FINISHED',
  /** Run control by a principal that is neither operator, admin, nor the run's requester. */
  RUN_CONTROL_FORBIDDEN = 'RUN_CONTROL_FORBIDDEN',
  /** Inbox: `limit` is not an integer from 1 to 200. */
  INVALID_LIMIT = 'INVALID_LIMIT',
  /** Inbox: `cursor` is not one this server handed out (or its filters changed). */
  INVALID_CURSOR = 'INVALID_CURSOR',
  /** Inbox: a filter (`state`, `recipe`, `riskLevel`, `partition`, `olderThanS`, `mine`) has a bad value. */
  INVALID_FILTER = 'INVALID_FILTER',
  /** The principal holds none of the roles the gate's risk level allows to decide it. */
  ROLE_NOT_ALLOWED = 'ROLE_NOT_ALLOWED',
  /** The principal who started the run may not approve its gates (unless the policy allows it). */
  SELF_APPROVAL = 'SELF_APPROVAL',
  /** The principal already voted on this gate (for its current plan version) under another dedupe key. */
  ALREADY_VOTED = 'ALREADY_VOTED',
  /** The reply's `planHash` is not the plan version the gate now decides on. */
  PLAN_CHANGED = 'PLAN_CHANGED',
  /** The gate's risk level requires the reply to name the `planHash` its author saw. */
  PLAN_HASH_REQUIRED = 'PLAN_HASH_REQUIRED',
  /** The gate's risk level requires a non-blank rationale. */
  RATIONALE_REQUIRED = 'RATIONALE_REQUIRED',
  SERVICE_UNAVAILABLE = 'SERVICE_UNAVAILABLE',
  OVERLOADED = 'OVERLOADED',
  /** A bug: never expected; tests assert it never appears. */
  INTERNAL_ERROR = 'INTERNAL_ERROR',
}

/** Checked exhaustively by the compiler: adding a code without a status does not build. */
export const ERROR_STATUS: { readonly [K in ErrorCode]: number } = {
  [ErrorCode.VALIDATION_FAILED]: 400,
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.RATE_LIMITED]: 429,
  [ErrorCode.INVALID_JSON]: 400,
  [ErrorCode.PAYLOAD_TOO_LARGE]: 413,
  [ErrorCode.UNSUPPORTED_MEDIA_TYPE]: 415,
  [ErrorCode.INVALID_GATE_KEY]: 400,
  [ErrorCode.INVALID_TIMEOUT]: 400,
  [ErrorCode.INVALID_CHOICE]: 400,
  [ErrorCode.QUEUE_NOT_ALLOWED]: 400,
  [ErrorCode.PARTITION_KEY_REQUIRED]: 400,
  [ErrorCode.UNKNOWN_RECIPE]: 400,
  [ErrorCode.INTENT_NOT_FOUND]: 404,
  [ErrorCode.RUN_NOT_FOUND]: 404,
  [ErrorCode.KEY_NOT_FOUND]: 404,
  [ErrorCode.LAST_ADMIN_KEY]: 409,
  [ErrorCode.WEBHOOK_NOT_FOUND]: 404,
  [ErrorCode.DELIVERY_NOT_FOUND]: 404,
  [ErrorCode.WEBHOOK_URL_REFUSED]: 400,
  [ErrorCode.GATE_NOT_FOUND]: 404,
  [ErrorCode.ROUTE_NOT_FOUND]: 404,
  [ErrorCode.DEDUPE_CONFLICT]: 409,
  [ErrorCode.GATE_CLOSED]: 409,
  [ErrorCode.NO_PENDING_GATE]: 409,
  [ErrorCode.TOPIC_MISMATCH]: 409,
  [ErrorCode.RUN_CONFLICT]: 409,
  [ErrorCode.RUN_FINISHED]: 409,
  [ErrorCode.RUN_CONTROL_FORBIDDEN]: 403,
  [ErrorCode.INVALID_LIMIT]: 400,
  [ErrorCode.INVALID_CURSOR]: 400,
  [ErrorCode.INVALID_FILTER]: 400,
  [ErrorCode.ROLE_NOT_ALLOWED]: 403,
  [ErrorCode.SELF_APPROVAL]: 403,
  [ErrorCode.ALREADY_VOTED]: 409,
  [ErrorCode.PLAN_CHANGED]: 409,
  [ErrorCode.PLAN_HASH_REQUIRED]: 400,
  [ErrorCode.RATIONALE_REQUIRED]: 400,
  [ErrorCode.SERVICE_UNAVAILABLE]: 503,
  [ErrorCode.OVERLOADED]: 503,
  [ErrorCode.INTERNAL_ERROR]: 500,
};

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_STATUS, value);
}

export function assertUnreachable(value: never): never {
  throw new Error(`unreachable: ${String(value)}`);
}
