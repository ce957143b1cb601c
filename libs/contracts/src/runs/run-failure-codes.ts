/**
 * `error.code` values of a finished run beyond RunErrorCode (run-model.ts). Run outcomes, not HTTP
 * errors: they appear in GET /api/runs/:wid (docs/errors.md lists them).
 */
export const RunFailureCode = {
  /** The approved RFC 6902 plan patch could not be applied; the run ends ERROR. */
  PATCH_INVALID: 'PATCH_INVALID',
  /** The patched plan is not the version the gate approved (its hash differs); the run ends ERROR. */
  PLAN_MISMATCH: 'PLAN_MISMATCH',
  /** A step or child task failed on every delivery; also the run's status. */
  MAX_RECOVERY_ATTEMPTS_EXCEEDED: 'MAX_RECOVERY_ATTEMPTS_EXCEEDED',
} as const;
export type RunFailureCode = (typeof RunFailureCode)[keyof typeof RunFailureCode];
