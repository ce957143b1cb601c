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

/** `rpc.gates.pending-plan-gate` -> the PENDING `approve-plan` GateSummary, NO_PENDING_GATE or GATE_NOT_FOUND. */
export interface PendingPlanGateRequest {
  workflowId: string;
}
