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
  /** The principal who started the run: it may not approve the gate unless the policy allows it. */
  requestedBy?: string | null;
  /** The intent's inputs and constraints, which risk rules are matched against (with the plan's steps). */
  intent?: { inputs: Record<string, unknown>; constraints: Record<string, unknown> };
  /** The run's summary for the operators' inbox; absent on requests sent before it existed. */
  run?: GateRequestRunSummary;
}

export interface GateRequestRunSummary {
  goal: string;
  partition: string;
}

/** gates -> escalation (arm a timer) and anyone interested; also announced on `sys.gatehouse.gate-opened`. */
export interface GateOpenedEvent {
  workflowId: string;
  gateKey: string;
  /** The gate its escalation chain started from; the gate's own key when it is not a successor. */
  rootGateKey: string;
  /** 0 for a gate a run asked for, n for the n-th successor of its chain. */
  escalationLevel: number;
  deadlineAt: string;
  openedAt: string;
  policy: GatePolicy;
}

/**
 * gates -> runs (resume), escalation (disarm): the gate left PENDING with a decision (a reply was
 * accepted, or its deadline passed). Also announced on `sys.gatehouse.gate-decided` (RECEIVED) or
 * `sys.gatehouse.gate-timed-out` (TIMED_OUT).
 */
export interface GateDecidedEvent {
  workflowId: string;
  gateKey: string;
  /** The runs service resumes the plan chain whatever level decided it. */
  rootGateKey: string;
  state: GateState;
  decision: Decision;
  by: DecidedBy;
  choice: string | null;
  rationale: string | null;
  /** The patch from the compiled plan to the approved version (every version's patch, in order). */
  patch: JsonPatchOpDto[] | null;
  /** The approved plan version: the run checks its patched plan has this hash. */
  planHash?: string | null;
  actor: string | null;
  /** The successor gate opened by the `escalate` timeout action; the run keeps waiting on it. */
  escalatedTo: string | null;
  at: string;
}

/**
 * gates -> escalation (disarm the timer) and the gateway (wake long-polls): the gate was CANCELLED
 * because its run ended; no decision is recorded. Also announced on `sys.gatehouse.gate-cancelled`.
 */
export interface GateCancelledEvent {
  workflowId: string;
  gateKey: string;
  rootGateKey: string;
  state: GateState.CANCELLED;
  runStatus: string;
  at: string;
}

/** Announced on `sys.gatehouse.gate-escalated`: a gate timed out and a successor gate opened. */
export interface GateEscalatedEvent {
  workflowId: string;
  gateKey: string;
  rootGateKey: string;
  successorGateKey: string;
  level: number;
  group: string;
  deadlineAt: string;
  at: string;
}
