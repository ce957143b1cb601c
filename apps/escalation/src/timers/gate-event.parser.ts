import {
  DecidedBy,
  Decision,
  GateState,
  isValidGateKey,
  subjectFilters,
  subjects,
  TimeoutAction,
  type GateCancelledEvent,
  type GateDecidedEvent,
  type GateOpenedEvent,
  type GatePolicy,
} from '@gatehouse/contracts';
import { PoisonMessageError } from '@gatehouse/messaging';
import { isUuid } from '@gatehouse/contracts';

/** 'evt.gates.gate-opened.', 'evt.gates.gate-decided.', 'evt.gates.gate-cancelled.': the filters without '>'. */
export const GATE_OPENED_PREFIX = subjectFilters.gateOpened.slice(0, -1);
export const GATE_DECIDED_PREFIX = subjectFilters.gateDecided.slice(0, -1);
export const GATE_CANCELLED_PREFIX = subjectFilters.gateCancelled.slice(0, -1);

export interface GateOpened {
  workflowId: string;
  gateKey: string;
  deadlineAt: Date;
  action: TimeoutAction;
  policy: GatePolicy;
}

/** How a gate left PENDING: decided (with a decision) or cancelled with its run (decision and by null). */
export interface GateDecided {
  workflowId: string;
  gateKey: string;
  state: GateState;
  decision: Decision | null;
  by: DecidedBy | null;
  /** The successor gate the `escalate` action opened, if any. */
  escalatedTo: string | null;
  at: Date;
}

const oneOf = <T extends string>(values: Record<string, T>, v: unknown): v is T =>
  typeof v === 'string' && (Object.values(values) as string[]).includes(v);

function gateOf(subject: string, body: unknown, expected: (wid: string, g: string) => string) {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new PoisonMessageError('event body is not an object');
  const { workflowId, gateKey } = body as { workflowId?: unknown; gateKey?: unknown };
  if (!isUuid(workflowId)) throw new PoisonMessageError(`workflowId ${JSON.stringify(workflowId)} is not a UUID`);
  if (!isValidGateKey(gateKey))
    throw new PoisonMessageError(`gateKey ${JSON.stringify(gateKey)} is not a valid gate key`);
  // The subject names the gate too; a body about another gate is a publisher bug, never acted on.
  if (subject !== expected(workflowId, gateKey)) {
    throw new PoisonMessageError(`subject ${subject} does not match the gate ${workflowId}/${gateKey} of its body`);
  }
  return { workflowId: workflowId.toLowerCase(), gateKey };
}

function dateOf(value: unknown, field: string): Date {
  const d = typeof value === 'string' ? new Date(value) : new Date(Number.NaN);
  if (Number.isNaN(d.getTime())) throw new PoisonMessageError(`${field} ${JSON.stringify(value)} is not a date`);
  return d;
}

/** Validates a GateOpenedEvent; a malformed one can never succeed, so it is poison. */
export function parseGateOpened(subject: string, body: unknown): GateOpened {
  const gate = gateOf(subject, body, subjects.gateOpened);
  const e = body as Partial<GateOpenedEvent>;
  const deadlineAt = dateOf(e.deadlineAt, 'deadlineAt');
  const policy = e.policy;
  if (!policy || typeof policy !== 'object' || Array.isArray(policy))
    throw new PoisonMessageError('policy is not an object');
  if (!oneOf(TimeoutAction, policy.timeoutAction)) {
    throw new PoisonMessageError(
      `policy.timeoutAction ${JSON.stringify(policy.timeoutAction)} is not a timeout action`,
    );
  }
  return { ...gate, deadlineAt, action: policy.timeoutAction, policy };
}

/** Validates a GateDecidedEvent (only the fields the escalation service uses). */
export function parseGateDecided(subject: string, body: unknown): GateDecided {
  const gate = gateOf(subject, body, subjects.gateDecided);
  const e = body as Partial<GateDecidedEvent>;
  if (!oneOf(GateState, e.state) || e.state === GateState.PENDING) {
    throw new PoisonMessageError(`state ${JSON.stringify(e.state)} is not a decided gate state`);
  }
  if (!oneOf(Decision, e.decision))
    throw new PoisonMessageError(`decision ${JSON.stringify(e.decision)} is not a decision`);
  if (!oneOf(DecidedBy, e.by)) throw new PoisonMessageError(`by ${JSON.stringify(e.by)} is not a decider`);
  const at = e.at === undefined ? new Date() : dateOf(e.at, 'at');
  if (e.escalatedTo !== undefined && e.escalatedTo !== null && !isValidGateKey(e.escalatedTo)) {
    throw new PoisonMessageError(`escalatedTo ${JSON.stringify(e.escalatedTo)} is not a gate key`);
  }
  return { ...gate, state: e.state, decision: e.decision, by: e.by, escalatedTo: e.escalatedTo ?? null, at };
}

/** Validates a GateCancelledEvent: the gate was cancelled with its run, so its timer must never fire. */
export function parseGateCancelled(subject: string, body: unknown): GateDecided {
  const gate = gateOf(subject, body, subjects.gateCancelled);
  const e = body as Partial<GateCancelledEvent>;
  if (e.state !== GateState.CANCELLED)
    throw new PoisonMessageError(`state ${JSON.stringify(e.state)} is not CANCELLED`);
  const at = e.at === undefined ? new Date() : dateOf(e.at, 'at');
  return { ...gate, state: GateState.CANCELLED, decision: null, by: null, escalatedTo: null, at };
}
