import { readFileSync } from 'node:fs';
import {
  isPlainObject,
  isValidGateKey,
  RECIPES,
  successorGateKey,
  TimeoutAction,
  type EscalationStep,
} from '@gatehouse/contracts';

/** The policy of one gate of one recipe as the file gives it; what is left out takes the default. */
export interface GatePolicyEntry {
  timeoutS?: number;
  timeoutAction?: TimeoutAction;
  escalationChain?: EscalationStep[];
}

/** `GATE_POLICY_FILE`: `{ "<recipeName>": { "<gateKey>": GatePolicyEntry } }`. */
export type GatePolicyFile = Record<string, Record<string, GatePolicyEntry>>;

/** The bounds of HITL_GATE_TIMEOUT_S apply to every deadline in the file. */
export const MAX_POLICY_TIMEOUT_S = 2_592_000;
/** Levels of one escalation chain; the successor keys `<g>-e1` .. `<g>-e<n>` must stay valid gate keys. */
export const MAX_ESCALATION_LEVELS = 10;
/** An approver group is a name, not free text. */
const GROUP_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,63}$/;
const ENTRY_KEYS = ['timeoutS', 'timeoutAction', 'escalationChain'];
const STEP_KEYS = ['group', 'timeoutS'];
const ACTIONS: readonly string[] = Object.values(TimeoutAction);

export class GatePolicyFileError extends Error {}

const fail = (where: string, why: string): never => {
  throw new GatePolicyFileError(`${where}: ${why}`);
};

function timeoutOf(value: unknown, where: string): number {
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > MAX_POLICY_TIMEOUT_S) {
    fail(where, `must be an integer from 1 to ${MAX_POLICY_TIMEOUT_S} (seconds)`);
  }
  return value as number;
}

function unknownKeys(obj: Record<string, unknown>, allowed: string[], where: string): void {
  const extra = Object.keys(obj).filter((k) => !allowed.includes(k));
  if (extra.length > 0) fail(where, `unknown field(s) ${extra.join(', ')}; allowed: ${allowed.join(', ')}`);
}

function chainOf(value: unknown, gateKey: string, where: string): EscalationStep[] {
  if (!Array.isArray(value)) return fail(where, 'must be an array of {group, timeoutS}');
  if (value.length > MAX_ESCALATION_LEVELS) fail(where, `has more than ${MAX_ESCALATION_LEVELS} levels`);
  if (!isValidGateKey(successorGateKey(gateKey, value.length))) {
    fail(
      where,
      `gate key ${gateKey} is too long for ${value.length} successor gate(s) (${successorGateKey(gateKey, value.length)})`,
    );
  }
  return value.map((step: unknown, i) => {
    const at = `${where}[${i}]`;
    if (!isPlainObject(step)) return fail(at, 'must be an object {group, timeoutS}');
    unknownKeys(step, STEP_KEYS, at);
    if (typeof step.group !== 'string' || !GROUP_PATTERN.test(step.group)) {
      fail(`${at}.group`, 'must be 1-64 characters of A-Z a-z 0-9 _ . : @ - (a group name)');
    }
    return { group: step.group as string, timeoutS: timeoutOf(step.timeoutS, `${at}.timeoutS`) };
  });
}

function entryOf(value: unknown, gateKey: string, where: string): GatePolicyEntry {
  if (!isPlainObject(value)) return fail(where, 'must be an object');
  unknownKeys(value, ENTRY_KEYS, where);
  const entry: GatePolicyEntry = {};
  if (value.timeoutS !== undefined) entry.timeoutS = timeoutOf(value.timeoutS, `${where}.timeoutS`);
  if (value.timeoutAction !== undefined) {
    if (typeof value.timeoutAction !== 'string' || !ACTIONS.includes(value.timeoutAction)) {
      fail(`${where}.timeoutAction`, `must be one of ${ACTIONS.join(', ')}`);
    }
    entry.timeoutAction = value.timeoutAction as TimeoutAction;
  }
  if (value.escalationChain !== undefined) {
    entry.escalationChain = chainOf(value.escalationChain, gateKey, `${where}.escalationChain`);
  }
  return entry;
}

/**
 * Checks a parsed policy file against its shape, strictly: an unknown recipe, an invalid gate key, an
 * unknown field or an out-of-range deadline is an error (a typo must not silently fall back to defaults).
 */
export function parseGatePolicyFile(raw: unknown): GatePolicyFile {
  if (!isPlainObject(raw)) return fail('policy file', 'must be a JSON object {"<recipeName>": {"<gateKey>": {...}}}');
  const file: GatePolicyFile = {};
  for (const [recipe, gates] of Object.entries(raw)) {
    if (!(RECIPES as readonly string[]).includes(recipe)) fail(recipe, `unknown recipe; known: ${RECIPES.join(', ')}`);
    if (!isPlainObject(gates)) fail(recipe, 'must be an object {"<gateKey>": {...}}');
    file[recipe] = {};
    for (const [gateKey, entry] of Object.entries(gates as Record<string, unknown>)) {
      if (!isValidGateKey(gateKey)) fail(`${recipe}.${gateKey}`, 'gate key must match ^[a-z0-9][a-z0-9-]{0,62}$');
      file[recipe][gateKey] = entryOf(entry, gateKey, `${recipe}.${gateKey}`);
    }
  }
  return file;
}

/** Reads and checks the file; throws GatePolicyFileError with a message naming the problem. */
export function loadGatePolicyFile(path: string): GatePolicyFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new GatePolicyFileError(`cannot read ${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new GatePolicyFileError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  try {
    return parseGatePolicyFile(raw);
  } catch (err) {
    if (err instanceof GatePolicyFileError) throw new GatePolicyFileError(`${path}: ${err.message}`);
    throw err;
  }
}

/** Undefined when `path` is empty (no file) or names a valid file; else what is wrong with it. */
export function gatePolicyFileProblem(path: unknown): string | undefined {
  if (path === undefined || path === '') return undefined;
  if (typeof path !== 'string') return 'must be a path';
  try {
    loadGatePolicyFile(path);
    return undefined;
  } catch (err) {
    if (err instanceof GatePolicyFileError) return err.message;
    throw err;
  }
}
