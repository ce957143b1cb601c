import { GateState, isValidGateKey } from '../abi/gate-abi';
import { ErrorCode } from '../errors/error-code';
import { GatehouseError } from '../errors/gatehouse.error';
import { RECIPE_NAME_PATTERN } from '../policy/recipes';
import { PARTITION_KEY_PATTERN } from '../runs/run-model';
import { isUuid } from '../validation/ids';
import { isPlainObject } from '../validation/validate-dto';
import { INBOX_LIMIT, type InboxDecider, type InboxQuery } from './inbox';
import { RISK_LEVELS, type RiskLevel } from './risk-level';

/*
 * The inbox's parameters (DESIGN section 14), checked in one place: the gateway parses the query
 * string with parseInboxParams, the gates service checks the request again with checkInboxQuery.
 * Every bad value is a 400 with its own code; an unknown or repeated parameter is refused, never ignored.
 */

/** Ten years: anything older is a typo. */
const MAX_OLDER_THAN_S = 10 * 365 * 24 * 3600;
const PLAIN_INT = /^(0|[1-9][0-9]{0,9})$/;
const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const GATE_STATES: readonly string[] = Object.values(GateState);
const PARAMS = ['state', 'recipe', 'riskLevel', 'partition', 'olderThanS', 'mine', 'limit', 'cursor'] as const;

/** The keyset position after an item: its deadline (UTC, microseconds), run and gate. */
export interface InboxPosition {
  deadlineAt: string;
  workflowId: string;
  gateKey: string;
}

const filterError = (message: string) => new GatehouseError(ErrorCode.INVALID_FILTER, message);
const cursorError = () => new GatehouseError(ErrorCode.INVALID_CURSOR, 'cursor is not one this server handed out');

export function encodeInboxCursor(p: InboxPosition): string {
  return Buffer.from(JSON.stringify([p.deadlineAt, p.workflowId, p.gateKey]), 'utf8').toString('base64url');
}

export function decodeInboxCursor(cursor: string): InboxPosition {
  if (cursor.length === 0 || cursor.length > 300 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw cursorError();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw cursorError();
  }
  if (!Array.isArray(value) || value.length !== 3) throw cursorError();
  const [deadlineAt, workflowId, gateKey] = value as unknown[];
  if (typeof deadlineAt !== 'string' || !CURSOR_TIME.test(deadlineAt) || Number.isNaN(Date.parse(deadlineAt)))
    throw cursorError();
  if (!isUuid(workflowId) || !isValidGateKey(gateKey)) throw cursorError();
  return { deadlineAt, workflowId: workflowId.toLowerCase(), gateKey };
}

function state(value: unknown): GateState {
  if (typeof value !== 'string' || !GATE_STATES.includes(value))
    throw filterError(`state must be one of ${GATE_STATES.join(', ')}`);
  return value as GateState;
}

function recipe(value: unknown): string {
  if (typeof value !== 'string' || !RECIPE_NAME_PATTERN.test(value))
    throw filterError(`recipe must match ${RECIPE_NAME_PATTERN.source}`);
  return value;
}

function riskLevel(value: unknown): RiskLevel {
  if (typeof value !== 'string' || !(RISK_LEVELS as readonly string[]).includes(value))
    throw filterError(`riskLevel must be one of ${RISK_LEVELS.join(', ')}`);
  return value as RiskLevel;
}

function partition(value: unknown): string {
  if (typeof value !== 'string' || !PARTITION_KEY_PATTERN.test(value))
    throw filterError(`partition must match ${PARTITION_KEY_PATTERN.source}`);
  return value;
}

function olderThanS(value: unknown): number {
  const n = typeof value === 'string' && PLAIN_INT.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_OLDER_THAN_S)
    throw filterError(`olderThanS must be an integer from 0 to ${MAX_OLDER_THAN_S}`);
  return n;
}

function limit(value: unknown): number {
  const n = typeof value === 'string' && PLAIN_INT.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < INBOX_LIMIT.min || n > INBOX_LIMIT.max)
    throw new GatehouseError(
      ErrorCode.INVALID_LIMIT,
      `limit must be an integer from ${INBOX_LIMIT.min} to ${INBOX_LIMIT.max}`,
    );
  return n;
}

function cursor(value: unknown): string {
  if (typeof value !== 'string') throw cursorError();
  decodeInboxCursor(value);
  return value;
}

function decider(value: unknown): InboxDecider {
  if (
    !isPlainObject(value) ||
    typeof value.id !== 'string' ||
    value.id.length === 0 ||
    value.id.length > 200 ||
    !Array.isArray(value.roles) ||
    !value.roles.every((r) => typeof r === 'string')
  )
    throw filterError('decider must be {id, roles}');
  return { id: value.id, roles: value.roles as string[] };
}

/** GET /api/gates query string -> InboxQuery. `me` is the caller, used when `mine=true`. */
export function parseInboxParams(query: Record<string, unknown>, me: InboxDecider): InboxQuery {
  for (const [key, value] of Object.entries(query)) {
    if (!(PARAMS as readonly string[]).includes(key)) throw filterError(`unknown parameter ${key.slice(0, 40)}`);
    if (typeof value !== 'string') throw filterError(`${key} may be given once`);
  }
  const q: InboxQuery = {
    state: query.state === undefined ? GateState.PENDING : state(query.state),
    limit: query.limit === undefined ? INBOX_LIMIT.default : limit(query.limit),
  };
  if (query.recipe !== undefined) q.recipe = recipe(query.recipe);
  if (query.riskLevel !== undefined) q.riskLevel = riskLevel(query.riskLevel);
  if (query.partition !== undefined) q.partition = partition(query.partition);
  if (query.olderThanS !== undefined) q.olderThanS = olderThanS(query.olderThanS);
  if (query.cursor !== undefined) q.cursor = cursor(query.cursor);
  if (query.mine !== undefined && query.mine !== 'true' && query.mine !== 'false')
    throw filterError('mine must be true or false');
  if (query.mine === 'true') q.decider = { id: me.id, roles: me.roles };
  return q;
}

/** `rpc.gates.inbox` request body -> InboxQuery (the gates service trusts nothing it receives). */
export function checkInboxQuery(body: unknown): InboxQuery {
  if (!isPlainObject(body)) throw filterError('the inbox query must be an object');
  const q: InboxQuery = { state: state(body.state), limit: limit(body.limit) };
  if (body.recipe !== undefined) q.recipe = recipe(body.recipe);
  if (body.riskLevel !== undefined) q.riskLevel = riskLevel(body.riskLevel);
  if (body.partition !== undefined) q.partition = partition(body.partition);
  if (body.olderThanS !== undefined) q.olderThanS = olderThanS(body.olderThanS);
  if (body.cursor !== undefined) q.cursor = cursor(body.cursor);
  if (body.decider !== undefined) q.decider = decider(body.decider);
  return q;
}
