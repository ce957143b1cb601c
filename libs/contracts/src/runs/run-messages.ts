import type { RunError, RunStatus, StepId } from './run-model';

/** intentQ: run one step of a parent run. */
export interface StepTaskMessage {
  runId: string;
  stepId: StepId;
}

/** sbxQ: run one child task of ExecuteST. */
export interface ChildTaskMessage {
  runId: string;
  taskKey: string;
  idx: number;
  sandboxMinutes: number;
}

/**
 * evt.runs.run-updated.<wid>: a status snapshot after each change. The terminal snapshot is also
 * published, in the same transaction, on evt.runs.run-finished.<wid>.
 */
export interface RunUpdatedEvent {
  workflowID: string;
  status: RunStatus;
  nextAction: string;
  lastStep: StepId | null;
  error: RunError | null;
  version: number;
  at: string;
}

export interface HealthReply {
  ok: boolean;
  service: string;
  db: boolean;
  nats: boolean;
}
