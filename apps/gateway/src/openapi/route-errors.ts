import { ErrorCode } from '@gatehouse/contracts';

/** Refusals of any route that reads a JSON body, before its own rules run. */
export const BODY_ERRORS = [
  ErrorCode.VALIDATION_FAILED,
  ErrorCode.INVALID_JSON,
  ErrorCode.PAYLOAD_TOO_LARGE,
  ErrorCode.UNSUPPORTED_MEDIA_TYPE,
] as const;

/** What a gate reply can be refused for, on every surface (DESIGN section 3). */
export const REPLY_ERRORS = [
  ...BODY_ERRORS,
  ErrorCode.INVALID_GATE_KEY,
  ErrorCode.INVALID_CHOICE,
  ErrorCode.PLAN_HASH_REQUIRED,
  ErrorCode.RATIONALE_REQUIRED,
  ErrorCode.ROLE_NOT_ALLOWED,
  ErrorCode.SELF_APPROVAL,
  ErrorCode.RUN_NOT_FOUND,
  ErrorCode.GATE_NOT_FOUND,
  ErrorCode.DEDUPE_CONFLICT,
  ErrorCode.GATE_CLOSED,
  ErrorCode.ALREADY_VOTED,
  ErrorCode.PLAN_CHANGED,
  ErrorCode.SERVICE_UNAVAILABLE,
] as const;
