import type { DecidedBy, Decision, GateChoice, GatePolicy, GateState } from '../abi/gate-abi';
import type { JsonPatchOpDto } from './reply.dto';

/** runs -> gates: open a gate for a run (published by the runs outbox). */
export interface GateRequestedEvent {
  workflowId: string;
  gateKey: string;
  title: string;
  plan: unknown;
  planHash: string;
  choices: GateChoice[];
  /** The gates service resolves the gate's policy (deadline, timeout action) from the recipe. */
  recipeName: string;
}

/** gates -> escalation (arm a timer) and anyone interested. */
export interface GateOpenedEvent {
  workflowId: string;
  gateKey: string;
  deadlineAt: string;
  policy: GatePolicy;
}

/** gates -> runs (resume), escalation (disarm): the gate left PENDING. */
export interface GateDecidedEvent {
  workflowId: string;
  gateKey: string;
  state: GateState;
  decision: Decision;
  by: DecidedBy;
  choice: string | null;
  rationale: string | null;
  patch: JsonPatchOpDto[] | null;
  actor: string | null;
  at: string;
}
