import { TimeoutAction, type GatePolicy } from '@gatehouse/contracts';

export interface PolicyDefaults {
  /** HITL_GATE_TIMEOUT_S */
  timeoutS: number;
}

/**
 * The policy of a gate of a run of `recipeName`. Today every recipe and gate gets the defaults:
 * deadline HITL_GATE_TIMEOUT_S and the fail-closed `reject` on timeout (no escalation target).
 * Per-recipe policy files (DESIGN section 10) plug in here; the result is stored with the gate.
 */
export function resolveGatePolicy(recipeName: string, gateKey: string, defaults: PolicyDefaults): GatePolicy {
  void recipeName;
  void gateKey;
  return {
    timeoutS: defaults.timeoutS,
    timeoutAction: TimeoutAction.REJECT,
    escalationChain: [],
    requireRationale: false,
  };
}
