/** Request bodies of the gates service's request/reply patterns (`rpc.gates.*`). */

/** `rpc.gates.list` -> GateSummary[] ordered by opening time; [] when the run has no gate (yet). */
export interface GatesListRequest {
  workflowId: string;
}

/** `rpc.gates.get` -> GateDetail, or GATE_NOT_FOUND. */
export interface GateGetRequest {
  workflowId: string;
  gateKey: string;
}

/**
 * `rpc.gates.pending-plan-gate` -> the PENDING gate of the plan gate's escalation chain (`approve-plan`, or
 * its successor `approve-plan-e<n>`), NO_PENDING_GATE when none of the chain is pending, GATE_NOT_FOUND
 * before the plan gate opened.
 */
export interface PendingPlanGateRequest {
  workflowId: string;
}

/** `rpc.gates.history` -> GateHistory (audit trail and ledger rows), or GATE_NOT_FOUND. */
export type GateHistoryRequest = GateGetRequest;
