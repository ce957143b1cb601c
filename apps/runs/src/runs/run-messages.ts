import {
  PLAN_GATE_CHOICES,
  PLAN_GATE_KEY,
  childTaskKey,
  runMessageIds,
  subjects,
  type ChildTaskMessage,
  type GateRequestedEvent,
  type RunControlEvent,
  type RunUpdatedEvent,
  type StepId,
  type StepTaskMessage,
} from '@gatehouse/contracts';
import type { OutboxMessage } from '@gatehouse/messaging';
import type { RunRow } from './run-row';

/** The outbox messages the runs service writes, each with its deterministic id. */

function snapshotOf(run: RunRow): RunUpdatedEvent {
  return {
    workflowID: run.id,
    status: run.status,
    nextAction: run.next_action,
    lastStep: run.last_step,
    error: run.error,
    version: run.version,
    at: run.updated_at.toISOString(),
  };
}

export function runUpdatedMessage(run: RunRow): OutboxMessage {
  return {
    msgId: runMessageIds.runUpdated(run.id, run.version),
    subject: subjects.runUpdated(run.id),
    payload: snapshotOf(run),
  };
}

/** The terminal snapshot again, on the subject only the run's end is published on. */
export function runFinishedMessage(run: RunRow): OutboxMessage {
  return { msgId: runMessageIds.runFinished(run.id), subject: subjects.runFinished(run.id), payload: snapshotOf(run) };
}

/** evt.runs.run-paused / run-resumed: the n-th pause of the run and its resume. */
export function runControlMessage(run: RunRow, paused: boolean, event: RunControlEvent): OutboxMessage {
  const n = run.pause_count;
  return paused
    ? { msgId: runMessageIds.runPaused(run.id, n), subject: subjects.runPaused(run.id), payload: event }
    : { msgId: runMessageIds.runResumed(run.id, n), subject: subjects.runResumed(run.id), payload: event };
}

export function stepMessage(run: RunRow, stepId: StepId): OutboxMessage {
  const payload: StepTaskMessage = { runId: run.id, stepId };
  return { msgId: runMessageIds.step(run.id, stepId), subject: subjects.intentTask(run.queue_partition_key), payload };
}

export function childMessage(run: RunRow, idx: number): OutboxMessage {
  const payload: ChildTaskMessage = {
    runId: run.id,
    taskKey: childTaskKey(idx),
    idx,
    sandboxMinutes: run.workload.sandboxMinutes,
  };
  return { msgId: runMessageIds.child(run.id, idx), subject: subjects.sandboxTask(run.queue_partition_key), payload };
}

const TITLE_GOAL_CHARS = 160;

/** Asks the gates service to open the plan gate for the run's current plan. */
export function planGateRequestedMessage(
  run: RunRow,
  intent: { goal: string; inputs: Record<string, unknown>; constraints: Record<string, unknown> },
): OutboxMessage {
  const { goal } = intent;
  if (!run.plan || !run.plan_hash) throw new Error(`run ${run.id} has no plan to approve`);
  const shortGoal = goal.length > TITLE_GOAL_CHARS ? `${goal.slice(0, TITLE_GOAL_CHARS - 1)}…` : goal;
  const payload: GateRequestedEvent = {
    workflowId: run.id,
    gateKey: PLAN_GATE_KEY,
    title: `Approve the ${run.recipe_name} plan: ${shortGoal}`,
    plan: run.plan,
    planHash: run.plan_hash,
    choices: PLAN_GATE_CHOICES,
    recipeName: run.recipe_name,
    run: { goal: shortGoal, partition: run.queue_partition_key },
    requestedBy: run.requested_by ?? null,
    intent: { inputs: intent.inputs, constraints: intent.constraints },
  };
  return {
    msgId: runMessageIds.gateRequested(run.id, PLAN_GATE_KEY),
    subject: subjects.gateRequested(run.id, PLAN_GATE_KEY),
    payload,
  };
}
