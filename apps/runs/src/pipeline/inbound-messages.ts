import {
  DecidedBy,
  Decision,
  StepId,
  childTaskKey,
  isValidGateKey,
  type ChildTaskMessage,
  type GateDecidedEvent,
  type StepTaskMessage,
} from '@gatehouse/contracts';
import { PoisonMessageError } from '@gatehouse/messaging';
import { isUuid } from '@gatehouse/contracts';

/**
 * Shape checks of the messages the pipeline consumes. A message that fails one can never
 * succeed: it is dead-lettered at once (PoisonMessageError) instead of retried.
 */

const STEP_IDS = Object.values(StepId) as string[];
const DECISIONS = Object.values(Decision) as string[];
const DECIDED_BY = Object.values(DecidedBy) as string[];

type Obj = Record<string, unknown>;

function objectOf(body: unknown, what: string): Obj {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new PoisonMessageError(`${what} is not a JSON object`);
  return body as Obj;
}

const optionalString = (v: unknown): v is string | null | undefined =>
  v === undefined || v === null || typeof v === 'string';

export function stepTaskOf(body: unknown): StepTaskMessage {
  const m = objectOf(body, 'step task');
  if (!isUuid(m.runId)) throw new PoisonMessageError('step task: runId is not a UUID');
  if (typeof m.stepId !== 'string' || !STEP_IDS.includes(m.stepId))
    throw new PoisonMessageError(`step task: unknown stepId ${String(m.stepId)}`);
  return { runId: m.runId.toLowerCase(), stepId: m.stepId as StepId };
}

export function childTaskOf(body: unknown): ChildTaskMessage {
  const m = objectOf(body, 'child task');
  if (!isUuid(m.runId)) throw new PoisonMessageError('child task: runId is not a UUID');
  if (!Number.isInteger(m.idx) || (m.idx as number) < 0)
    throw new PoisonMessageError('child task: idx is not a non-negative integer');
  const idx = m.idx as number;
  if (m.taskKey !== childTaskKey(idx)) throw new PoisonMessageError(`child task: taskKey must be ${childTaskKey(idx)}`);
  const sandboxMinutes =
    typeof m.sandboxMinutes === 'number' && Number.isFinite(m.sandboxMinutes) ? m.sandboxMinutes : 0;
  return { runId: m.runId.toLowerCase(), taskKey: m.taskKey, idx, sandboxMinutes };
}

const SHA256_HEX = /^[a-f0-9]{64}$/;

export function gateDecidedOf(body: unknown): GateDecidedEvent {
  const m = objectOf(body, 'gate-decided event');
  if (typeof m.workflowId !== 'string' || typeof m.gateKey !== 'string') {
    throw new PoisonMessageError('gate-decided event: workflowId and gateKey must be strings');
  }
  if (typeof m.decision !== 'string' || !DECISIONS.includes(m.decision)) {
    throw new PoisonMessageError(`gate-decided event: unknown decision ${String(m.decision)}`);
  }
  if (typeof m.by !== 'string' || !DECIDED_BY.includes(m.by))
    throw new PoisonMessageError(`gate-decided event: unknown by ${String(m.by)}`);
  if (!optionalString(m.choice) || !optionalString(m.rationale) || !optionalString(m.actor)) {
    throw new PoisonMessageError('gate-decided event: choice, rationale and actor must be strings or null');
  }
  if (m.patch !== undefined && m.patch !== null && !Array.isArray(m.patch)) {
    throw new PoisonMessageError('gate-decided event: patch must be an array or null');
  }
  if (
    m.planHash !== undefined &&
    m.planHash !== null &&
    !(typeof m.planHash === 'string' && SHA256_HEX.test(m.planHash))
  ) {
    throw new PoisonMessageError('gate-decided event: planHash must be a SHA-256 hex digest or null');
  }
  if (m.rootGateKey !== undefined && !isValidGateKey(m.rootGateKey)) {
    throw new PoisonMessageError('gate-decided event: rootGateKey must be a gate key');
  }
  if (m.escalatedTo !== undefined && m.escalatedTo !== null && !isValidGateKey(m.escalatedTo)) {
    throw new PoisonMessageError('gate-decided event: escalatedTo must be a gate key or null');
  }
  return {
    ...(m as unknown as GateDecidedEvent),
    rootGateKey: (m.rootGateKey as string | undefined) ?? m.gateKey,
    escalatedTo: (m.escalatedTo as string | null | undefined) ?? null,
    choice: m.choice ?? null,
    rationale: m.rationale ?? null,
    actor: m.actor ?? null,
    patch: (m.patch as GateDecidedEvent['patch']) ?? null,
    planHash: (m.planHash as string | null | undefined) ?? null,
    at: typeof m.at === 'string' ? m.at : new Date().toISOString(),
  };
}

/** For dead-letter hooks: the message if it parses, else null (a poison message names no run). */
export function parseOrNull<T>(parse: () => T): T | null {
  try {
    return parse();
  } catch {
    return null;
  }
}
