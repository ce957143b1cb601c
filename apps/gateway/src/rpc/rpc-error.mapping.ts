import { ErrorCode, GatehouseError } from '@gatehouse/contracts';
import { fromRpcError } from '@gatehouse/messaging';

/**
 * What a request/reply call failed with, as a GatehouseError. A service's `{error, message}` keeps its
 * code. A transport failure (timeout, connection lost or closed, empty answer) means the service could not
 * be reached: 503, never 500. Only an answer from a service that is not our error shape stays a 500.
 */
export function rpcFailure(err: unknown): GatehouseError {
  const known = GatehouseError.fromBody(err);
  if (known) return known;
  const mapped = fromRpcError(err);
  if (mapped.code !== ErrorCode.INTERNAL_ERROR) return mapped;
  if (err instanceof Error || typeof err === 'string') {
    return new GatehouseError(ErrorCode.SERVICE_UNAVAILABLE, 'a backing service could not be reached; retry later');
  }
  return mapped;
}

export function hasCode(err: unknown, code: ErrorCode): err is GatehouseError {
  return err instanceof GatehouseError && err.code === code;
}
