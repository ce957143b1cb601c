import { ErrorCode, GatehouseError, type ErrorBody } from '@gatehouse/contracts';
import { isUnavailableDbError } from '@gatehouse/persistence';

/** Turns anything a request handler threw into the error body that crosses NATS. */
export function toErrorBody(err: unknown): { body: ErrorBody; unexpected: boolean } {
  if (err instanceof GatehouseError) return { body: err.toBody(), unexpected: false };
  if (isUnavailableDbError(err)) {
    return {
      body: { error: ErrorCode.SERVICE_UNAVAILABLE, message: 'database unavailable, retry later' },
      unexpected: false,
    };
  }
  return { body: { error: ErrorCode.INTERNAL_ERROR, message: 'internal error' }, unexpected: true };
}

/** Turns what a request/reply client received as an error back into a GatehouseError. */
export function fromRpcError(err: unknown): GatehouseError {
  const known = GatehouseError.fromBody(err);
  if (known) return known;
  const message = String((err as Error)?.message ?? err);
  if (
    /timeout|no responders|503|disconnect|closed/i.test(message) ||
    (err as { name?: string })?.name === 'TimeoutError'
  ) {
    return new GatehouseError(ErrorCode.SERVICE_UNAVAILABLE, 'a backing service did not answer in time; retry later');
  }
  return new GatehouseError(ErrorCode.INTERNAL_ERROR, 'unexpected error from a backing service');
}
