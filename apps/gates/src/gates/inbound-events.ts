import {
  Decision,
  isTerminalRunStatus,
  isValidGateKey,
  TimeoutAction,
  type DeadlinePassedEvent,
  type GateChoice,
  type GateRequestedEvent,
  type GateRequestRunSummary,
  type RunUpdatedEvent,
} from '@gatehouse/contracts';
import { PoisonMessageError } from '@gatehouse/messaging';
import { isUuid, isPlainObject } from '@gatehouse/contracts';

/*
 * Events from other services are checked before they touch SQL. One that can never be applied
 * (wrong shape) is poison: dead-lettered at once, visibly, instead of retried.
 */

function poison(what: string, why: string): never {
  throw new PoisonMessageError(`${what}: ${why}`);
}

function str(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length <= max;
}

function parseChoices(value: unknown): GateChoice[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > 20)
    poison('gate-requested', 'choices must be 1-20 entries');
  const seen = new Set<string>();
  return value.map((c: unknown) => {
    if (
      !isPlainObject(c) ||
      !str(c.value, 64) ||
      c.value.length === 0 ||
      !str(c.label, 200) ||
      (c.decision !== Decision.APPROVE && c.decision !== Decision.REJECT)
    ) {
      poison('gate-requested', `bad choice ${JSON.stringify(c)}`);
    }
    if (seen.has(c.value)) poison('gate-requested', `choice ${c.value} is repeated`);
    seen.add(c.value);
    return { value: c.value, label: c.label, decision: c.decision };
  });
}

function parseRunSummary(value: unknown): GateRequestRunSummary {
  if (!isPlainObject(value)) poison('gate-requested', 'run must be an object');
  if (!str(value.goal, 1000)) poison('gate-requested', 'run.goal must be a string');
  if (!str(value.partition, 128)) poison('gate-requested', 'run.partition must be a string');
  return { goal: value.goal, partition: value.partition };
}

export function parseGateRequested(body: unknown): GateRequestedEvent {
  if (!isPlainObject(body)) poison('gate-requested', 'body is not an object');
  if (!isUuid(body.workflowId)) poison('gate-requested', 'workflowId is not a UUID');
  if (!isValidGateKey(body.gateKey)) poison('gate-requested', 'bad gateKey');
  if (!str(body.title, 500)) poison('gate-requested', 'title must be a string');
  if (typeof body.planHash !== 'string' || !SHA256_HEX.test(body.planHash))
    poison('gate-requested', 'planHash must be a SHA-256 hex digest');
  if (!str(body.recipeName, 64) || body.recipeName.length === 0)
    poison('gate-requested', 'recipeName must be a string');
  return {
    workflowId: body.workflowId.toLowerCase(),
    gateKey: body.gateKey,
    ...(body.run === undefined ? {} : { run: parseRunSummary(body.run) }),
    title: body.title,
    plan: body.plan ?? null,
    planHash: body.planHash,
    choices: parseChoices(body.choices),
    recipeName: body.recipeName,
    requestedBy: parseRequestedBy(body.requestedBy),
    ...(body.intent !== undefined ? { intent: parseIntentFacts(body.intent) } : {}),
  };
}

const SHA256_HEX = /^[a-f0-9]{64}$/;

function parseRequestedBy(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (!str(value, 200) || value.length === 0) poison('gate-requested', 'requestedBy must be a principal id or null');
  return value;
}

/** The intent's inputs and constraints, which risk rules are matched against. */
function parseIntentFacts(value: unknown): NonNullable<GateRequestedEvent['intent']> {
  if (!isPlainObject(value) || !isPlainObject(value.inputs) || !isPlainObject(value.constraints)) {
    poison('gate-requested', 'intent must be {inputs: {...}, constraints: {...}}');
  }
  return { inputs: value.inputs, constraints: value.constraints };
}

const TIMEOUT_ACTIONS: readonly string[] = Object.values(TimeoutAction);

export function parseDeadlinePassed(body: unknown): DeadlinePassedEvent {
  if (!isPlainObject(body)) poison('deadline-passed', 'body is not an object');
  if (!isUuid(body.workflowId)) poison('deadline-passed', 'workflowId is not a UUID');
  if (!isValidGateKey(body.gateKey)) poison('deadline-passed', 'bad gateKey');
  if (typeof body.action !== 'string' || !TIMEOUT_ACTIONS.includes(body.action))
    poison('deadline-passed', 'bad action');
  return {
    workflowId: body.workflowId.toLowerCase(),
    gateKey: body.gateKey,
    deadlineAt: typeof body.deadlineAt === 'string' ? body.deadlineAt : '',
    action: body.action as TimeoutAction,
    escalationId: typeof body.escalationId === 'string' ? body.escalationId : '',
  };
}

/** evt.runs.run-finished.<wid>: the run's terminal snapshot (a RunUpdatedEvent). */
export function parseRunFinished(body: unknown): Pick<RunUpdatedEvent, 'workflowID' | 'status'> {
  if (!isPlainObject(body)) poison('run-finished', 'body is not an object');
  if (!isUuid(body.workflowID)) poison('run-finished', 'workflowID is not a UUID');
  if (typeof body.status !== 'string' || !isTerminalRunStatus(body.status))
    poison('run-finished', `status ${String(body.status)} is not terminal`);
  return { workflowID: body.workflowID.toLowerCase(), status: body.status as RunUpdatedEvent['status'] };
}
