import type {
  DecidedBy,
  Decision,
  JsonPatchOpDto,
  NextAction,
  RunError,
  RunStatus,
  StepId,
  Workload,
} from '@gatehouse/contracts';
import type { Plan } from '../adapters/compiler';

/** The plan gate's decision as stored on the run (`runs.runs.decision`). */
export interface RunDecision {
  gateKey: string;
  decision: Decision;
  by: DecidedBy;
  choice: string | null;
  rationale: string | null;
  patch: JsonPatchOpDto[] | null;
  /** The plan version the gate approved; ApplyPatchST checks the patched plan has it. Null before versions. */
  planHash?: string | null;
  actor: string | null;
  at: string;
}

/** A `runs.runs` row as node-postgres returns it. */
export interface RunRow {
  id: string;
  status: RunStatus;
  last_step: StepId | null;
  next_action: NextAction;
  retry_count: number;
  error: RunError | null;
  queue_name: string;
  queue_partition_key: string;
  recipe_name: string;
  workload: Workload;
  plan: Plan | null;
  plan_hash: string | null;
  decision: RunDecision | null;
  tasks_total: number;
  tasks_dispatched: number;
  tasks_done: number;
  version: number;
  requested_by: string | null;
  paused: boolean;
  paused_by: string | null;
  paused_reason: string | null;
  paused_at: Date | null;
  pause_count: number;
  created_at: Date;
  updated_at: Date;
}

export interface IntentRow {
  id: string;
  goal: string;
  inputs: Record<string, unknown>;
  constraints: Record<string, unknown>;
  created_at: Date;
}
