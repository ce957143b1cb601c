import { isValidGateKey, successorGateKey, TimeoutAction, type EscalationStep } from '../abi/gate-abi';
import { isPlainObject } from '../validation/validate-dto';
import type { RiskLevel } from '../gates/risk-level';
import { fail, refuseUnknownKeys } from './policy-file.error';
import { riskLevelOf } from './risk-policy';

/** The policy of one gate of one recipe as the file gives it; what is left out takes the default. */
export interface GatePolicyEntry {
  /** The recipe's level for this gate; risk rules may raise it, never lower it. */
  riskLevel?: RiskLevel;
  timeoutS?: number;
  timeoutAction?: TimeoutAction;
  escalationChain?: EscalationStep[];
}

/** The bounds of HITL_GATE_TIMEOUT_S apply to every deadline in the file. */
export const MAX_POLICY_TIMEOUT_S = 2_592_000;
/** Levels of one escalation chain; the successor keys `<g>-e1` .. `<g>-e<n>` must stay valid gate keys. */
export const MAX_ESCALATION_LEVELS = 10;
/** An approver group is a name, not free text: the role that decides the successor gate. */
const GROUP_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,63}$/;
/** Fields of a gate entry. */
const ENTRY_KEYS = ['riskLevel', 'timeoutS', 'timeoutAction', 'escalationChain'];
const STEP_KEYS = ['group', 'timeoutS'];
const ACTIONS: readonly string[] = Object.values(TimeoutAction);

function timeoutOf(value: unknown, where: string): number {
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > MAX_POLICY_TIMEOUT_S) {
    fail(where, `must be an integer from 1 to ${MAX_POLICY_TIMEOUT_S} (seconds)`);
  }
  return value as number;
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
    refuseUnknownKeys(step, STEP_KEYS, at);
    if (typeof step.group !== 'string' || !GROUP_PATTERN.test(step.group)) {
      fail(`${at}.group`, 'must be 1-64 characters of A-Z a-z 0-9 _ . : @ - (a group name)');
    }
    return { group: step.group as string, timeoutS: timeoutOf(step.timeoutS, `${at}.timeoutS`) };
  });
}

/** Checks one gate's entry strictly; `where` names it in errors (`recipes.deploy.approve-plan`). */
export function parseGatePolicyEntry(value: unknown, gateKey: string, where: string): GatePolicyEntry {
  if (value === null) return {};
  if (!isPlainObject(value)) return fail(where, 'must be an object');
  refuseUnknownKeys(value, ENTRY_KEYS, where);
  const entry: GatePolicyEntry = {};
  if (value.riskLevel !== undefined) entry.riskLevel = riskLevelOf(value.riskLevel, `${where}.riskLevel`);
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
