import type { RunView } from '@gatehouse/contracts';
import type { RunRow } from './run-row';

export function toRunView(run: RunRow): RunView {
  return {
    workflowID: run.id,
    intentId: run.id,
    status: run.status,
    nextAction: run.next_action,
    lastStep: run.last_step,
    error: run.error,
    retryCount: run.retry_count,
    queueName: run.queue_name,
    queuePartitionKey: run.queue_partition_key,
    recipeName: run.recipe_name,
    workload: run.workload,
    tasks: { total: run.tasks_total, dispatched: run.tasks_dispatched, done: run.tasks_done },
    requestedBy: run.requested_by ?? null,
    paused: run.paused,
    pausedBy: run.paused_by,
    pausedReason: run.paused_reason,
    pausedAt: run.paused_at ? run.paused_at.toISOString() : null,
    createdAt: run.created_at.toISOString(),
    updatedAt: run.updated_at.toISOString(),
  };
}
