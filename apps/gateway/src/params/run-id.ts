import { ErrorCode, GatehouseError } from '@gatehouse/contracts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** Run ids are UUIDs; anything else names no run: 404, without asking any service. */
export function requireRunId(wid: string): string {
  if (!isUuid(wid)) throw new GatehouseError(ErrorCode.RUN_NOT_FOUND, `run ${JSON.stringify(wid)} not found`);
  return wid.toLowerCase();
}
