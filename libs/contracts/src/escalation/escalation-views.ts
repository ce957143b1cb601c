import type { TimeoutAction } from '../abi/gate-abi';

export enum EscalationStatus {
  STARTED = 'STARTED',
  COMPLETED = 'COMPLETED',
  FAILED = 'FAILED',
}

/** Payload of `rpc.escalation.get`. */
export interface GetEscalationQuery {
  workflowId: string;
  gateKey: string;
}

/**
 * What an escalation recorded: `outcome` is how its gate left PENDING (state, decision, by, at);
 * `successorGateKey` the gate the `escalate` action opened, if any.
 */
export interface EscalationDetail {
  outcome?: { state: string; decision: string | null; by: string | null; at: string };
  successorGateKey?: string;
  [key: string]: unknown;
}

/** The escalation of a gate as GET /api/runs/:wid/gates/:g shows it. */
export interface EscalationSummary {
  id: string;
  status: EscalationStatus;
  action: TimeoutAction;
  createdAt: string;
  detail: EscalationDetail;
}

/** A row of `escalation.escalations` as the escalation service answers it. */
export interface EscalationView extends EscalationSummary {
  workflowId: string;
  gateKey: string;
}
