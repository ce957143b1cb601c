import {
  successorGateKey,
  TimeoutAction,
  type EscalationStep,
  type GatePolicy,
  type GateRisk,
  type PolicyFile,
} from '@gatehouse/contracts';
import { levelTimeoutS } from './gate-risk';

export interface PolicyDefaults {
  /** HITL_GATE_TIMEOUT_S */
  timeoutS: number;
}

/**
 * The policy of a gate of a run of `recipeName`: the policy file's entry for (recipe, gate) over the
 * defaults (deadline HITL_GATE_TIMEOUT_S, the fail-closed `reject`, no escalation chain). `approve`
 * comes only from the file. `escalate` with an empty chain has nobody to escalate to and becomes
 * `reject` (fail-closed). The chain is kept only under `escalate`. The result is stored with the gate.
 */
export function resolveGatePolicy(
  file: PolicyFile,
  recipeName: string,
  gateKey: string,
  defaults: PolicyDefaults,
  risk?: GateRisk,
): GatePolicy {
  const gates = Object.hasOwn(file.recipes, recipeName) ? file.recipes[recipeName] : {};
  const entry = Object.hasOwn(gates, gateKey) ? gates[gateKey] : {};
  const chain = entry.escalationChain ?? [];
  let action = entry.timeoutAction ?? TimeoutAction.REJECT;
  if (action === TimeoutAction.ESCALATE && chain.length === 0) action = TimeoutAction.REJECT;
  return {
    // The recipe's own deadline wins; else the risk level's; else HITL_GATE_TIMEOUT_S.
    timeoutS: entry.timeoutS ?? (risk && levelTimeoutS(file, risk.level)) ?? defaults.timeoutS,
    timeoutAction: action,
    escalationChain: action === TimeoutAction.ESCALATE ? chain.map((s) => ({ ...s })) : [],
    requireRationale: risk?.requireRationale ?? false,
  };
}

/** The gate the `escalate` action opens when a gate at `level` of the chain rooted at `rootGateKey` times out. */
export interface Successor {
  gateKey: string;
  level: number;
  group: string;
  /** Its deadline is the chain entry's; its own timeout escalates further while the chain lasts, then rejects. */
  policy: GatePolicy;
}

export function successorOf(policy: GatePolicy, rootGateKey: string, level: number): Successor | undefined {
  if (policy.timeoutAction !== TimeoutAction.ESCALATE) return undefined;
  const [next, ...rest]: EscalationStep[] = policy.escalationChain;
  if (!next) return undefined;
  return {
    gateKey: successorGateKey(rootGateKey, level + 1),
    level: level + 1,
    group: next.group,
    policy: {
      timeoutS: next.timeoutS,
      timeoutAction: rest.length > 0 ? TimeoutAction.ESCALATE : TimeoutAction.REJECT,
      escalationChain: rest.map((s) => ({ ...s })),
      requireRationale: policy.requireRationale,
    },
  };
}

/** What a passed deadline does to a gate. */
export type TimeoutOutcome =
  | { action: TimeoutAction.APPROVE }
  | { action: TimeoutAction.REJECT }
  | { action: TimeoutAction.ESCALATE; successor: Successor };

/**
 * Fail-closed: auto-approval needs both the timer's action and the gate's stored policy to say
 * `approve`; escalation needs both to say `escalate` and the chain to have a level left; anything
 * else (including a timer and a policy that disagree) is `reject`, i.e. decision `timeout`.
 */
export function timeoutOutcome(
  policy: GatePolicy,
  timerAction: TimeoutAction,
  rootGateKey: string,
  level: number,
): TimeoutOutcome {
  if (policy.timeoutAction === TimeoutAction.APPROVE && timerAction === TimeoutAction.APPROVE) {
    return { action: TimeoutAction.APPROVE };
  }
  const successor = timerAction === TimeoutAction.ESCALATE ? successorOf(policy, rootGateKey, level) : undefined;
  if (successor) return { action: TimeoutAction.ESCALATE, successor };
  return { action: TimeoutAction.REJECT };
}
