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

/** A row of `escalation.escalations` as the escalation service answers it. */
export interface EscalationView {
  id: string;
  workflowId: string;
  gateKey: string;
  status: EscalationStatus;
  action: TimeoutAction;
  createdAt: string;
}
