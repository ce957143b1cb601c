/** Workflow vocabulary shared by the gateway, runs and gates (DESIGN section 2). */

export enum RunStatus {
  ENQUEUED = 'ENQUEUED',
  PENDING = 'PENDING',
  SUCCESS = 'SUCCESS',
  ERROR = 'ERROR',
  CANCELLED = 'CANCELLED',
  MAX_RECOVERY_ATTEMPTS_EXCEEDED = 'MAX_RECOVERY_ATTEMPTS_EXCEEDED',
}

export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = [
  RunStatus.SUCCESS,
  RunStatus.ERROR,
  RunStatus.CANCELLED,
  RunStatus.MAX_RECOVERY_ATTEMPTS_EXCEEDED,
];

export function isTerminalRunStatus(status: string): boolean {
  return (TERMINAL_RUN_STATUSES as readonly string[]).includes(status);
}

export enum NextAction {
  APPROVE_PLAN = 'APPROVE_PLAN',
  NONE = 'NONE',
}

/** The fixed pipeline, in order. The plan gate sits between CompileST and ApplyPatchST. */
export enum StepId {
  COMPILE = 'CompileST',
  APPLY_PATCH = 'ApplyPatchST',
  DECIDE = 'DecideST',
  EXECUTE = 'ExecuteST',
}

export enum StepStatus {
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
  RUNNING = 'RUNNING',
}

/** Queue law: parent runs only on intentQ, child tasks of ExecuteST only on sbxQ. */
export const INTENT_QUEUE = 'intentQ';
export const SANDBOX_QUEUE = 'sbxQ';

/** Partition keys become a subject token, so they are limited to a subject-safe alphabet. */
export const PARTITION_KEY_PATTERN = /^[A-Za-z0-9_:@-]{1,128}$/;
/** The partition used when partitioning is switched off and the caller gave none. */
export const DEFAULT_PARTITION = '_';

export enum RunErrorCode {
  REJECTED = 'REJECTED',
  GATE_TIMED_OUT = 'GATE_TIMED_OUT',
  STEP_FAILED = 'STEP_FAILED',
  /** An operator (or the requester) cancelled the run; the message carries the reason. */
  CANCELLED = 'CANCELLED',
}

export interface RunError {
  code: RunErrorCode | string;
  message: string;
  gateKey?: string;
  rationale?: string;
  stepId?: string;
}

export interface Workload {
  concurrency: number;
  steps: number;
  sandboxMinutes: number;
}

export interface RunView {
  workflowID: string;
  intentId: string;
  status: RunStatus;
  nextAction: NextAction;
  lastStep: StepId | null;
  error: RunError | null;
  retryCount: number;
  queueName: string;
  queuePartitionKey: string;
  recipeName: string;
  workload: Workload;
  tasks: { total: number; dispatched: number; done: number };
  /** The principal who started the run (DESIGN section 10); null for runs started before it was recorded. */
  requestedBy: string | null;
  /** A paused run finishes the step in flight and then holds until resumed (DESIGN section 12). */
  paused: boolean;
  /** Who paused it, why and when; null when it is not paused. */
  pausedBy: string | null;
  pausedReason: string | null;
  pausedAt: string | null;
  createdAt: string;
  updatedAt: string;
}
