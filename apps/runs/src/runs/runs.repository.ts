import { Injectable } from '@nestjs/common';
import {
  isTerminalRunStatus,
  type NextAction,
  type RunError,
  type RunStatus,
  type StepId,
  type Workload,
} from '@gatehouse/contracts';
import type { Plan } from '../adapters/compiler';
import type { RunDecision, RunRow } from './run-row';
import { jsonb, queryOne, type Db } from '@gatehouse/persistence';

export interface NewRun {
  id: string;
  queueName: string;
  queuePartitionKey: string;
  recipeName: string;
  workload: Workload;
  /** The principal who started the run (null when unknown: runs started before identity existed). */
  requestedBy: string | null;
}

/** What a pipeline step may change on a run. */
export interface RunChanges {
  status?: RunStatus;
  nextAction?: NextAction;
  lastStep?: StepId;
  error?: RunError | null;
  plan?: Plan;
  planHash?: string;
  decision?: RunDecision;
  retryCount?: number;
  tasksDispatched?: number;
  tasksDone?: number;
}

const COLUMNS: { readonly [K in keyof Required<RunChanges>]: { column: string; json?: true } } = {
  status: { column: 'status' },
  nextAction: { column: 'next_action' },
  lastStep: { column: 'last_step' },
  error: { column: 'error', json: true },
  plan: { column: 'plan', json: true },
  planHash: { column: 'plan_hash' },
  decision: { column: 'decision', json: true },
  retryCount: { column: 'retry_count' },
  tasksDispatched: { column: 'tasks_dispatched' },
  tasksDone: { column: 'tasks_done' },
};

/** The row as `update` would return it, in memory: for steps that read what an earlier step changed. */
export function withChanges(run: RunRow, changes: RunChanges): RunRow {
  const next: Record<string, unknown> = { ...run };
  for (const key of Object.keys(changes) as (keyof RunChanges)[]) {
    if (changes[key] !== undefined) next[COLUMNS[key].column] = changes[key];
  }
  return next as unknown as RunRow;
}

@Injectable()
export class RunsRepository {
  /** Inserts the run unless it exists; returns the new row, or null when it already existed. */
  insert(db: Db, run: NewRun): Promise<RunRow | null> {
    return queryOne<RunRow>(
      db,
      `INSERT INTO runs.runs
         (id, status, next_action, queue_name, queue_partition_key, recipe_name, workload, tasks_total, requested_by)
       VALUES ($1, 'ENQUEUED', 'NONE', $2, $3, $4, $5::jsonb, $6, $7)
       ON CONFLICT (id) DO NOTHING RETURNING *`,
      [
        run.id,
        run.queueName,
        run.queuePartitionKey,
        run.recipeName,
        JSON.stringify(run.workload),
        run.workload.steps,
        run.requestedBy,
      ],
    );
  }

  /** `id` must already be a UUID. */
  find(db: Db, id: string): Promise<RunRow | null> {
    return queryOne<RunRow>(db, `SELECT * FROM runs.runs WHERE id = $1`, [id]);
  }

  /** Locks the run for the rest of the transaction: one message about a run at a time. */
  lock(db: Db, id: string): Promise<RunRow | null> {
    return queryOne<RunRow>(db, `SELECT * FROM runs.runs WHERE id = $1 FOR UPDATE`, [id]);
  }

  /**
   * Applies `changes`, bumping `version` when the status snapshot changes (`bumpVersion`).
   * Returns the updated row.
   */
  async update(db: Db, id: string, changes: RunChanges, bumpVersion: boolean): Promise<RunRow> {
    const sets = ['updated_at = now()'];
    const params: unknown[] = [id];
    for (const key of Object.keys(changes) as (keyof RunChanges)[]) {
      const value = changes[key];
      if (value === undefined) continue;
      const { column, json } = COLUMNS[key];
      params.push(json ? jsonb(value) : value);
      sets.push(json ? `${column} = $${params.length}::jsonb` : `${column} = $${params.length}`);
    }
    if (bumpVersion) sets.push('version = version + 1');
    // A run that ends is no longer paused (a paused run may finish the child task in flight, its last).
    if (changes.status !== undefined && isTerminalRunStatus(changes.status))
      sets.push('paused = false, paused_by = NULL, paused_reason = NULL, paused_at = NULL');
    const row = await queryOne<RunRow>(db, `UPDATE runs.runs SET ${sets.join(', ')} WHERE id = $1 RETURNING *`, params);
    if (!row) throw new Error(`run ${id} vanished during its update`);
    return row;
  }
}
