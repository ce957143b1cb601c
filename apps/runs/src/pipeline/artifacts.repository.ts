import { Injectable } from '@nestjs/common';
import { isTerminalRunStatus, type StepId } from '@gatehouse/contracts';
import { queryRows, type Db } from '@gatehouse/persistence';

export interface NewArtifact {
  runId: string;
  stepId: StepId;
  taskKey: string;
  attempt: number;
  idx: number;
  content: unknown;
}

/** `runs.artifacts`: one row per (run, step, task, attempt, idx), enforced by `artifacts_once`. */
@Injectable()
export class ArtifactsRepository {
  /** True when the task already left an artifact, whatever the attempt that produced it. */
  async exists(db: Db, runId: string, stepId: StepId, taskKey: string, idx: number): Promise<boolean> {
    const rows = await queryRows(
      db,
      `SELECT 1 FROM runs.artifacts WHERE run_id = $1 AND step_id = $2 AND task_key = $3 AND idx = $4 LIMIT 1`,
      [runId, stepId, taskKey, idx],
    );
    return rows.length > 0;
  }

  /**
   * Whether a child task still has work: its run exists, is not terminal nor paused, and its artifact is not
   * written yet. One read, outside the transaction, before the sandbox call.
   */
  async childTaskOpen(db: Db, runId: string, stepId: StepId, taskKey: string, idx: number): Promise<boolean> {
    const rows = await queryRows<{ status: string; paused: boolean; done: boolean }>(
      db,
      `SELECT r.status, r.paused, EXISTS (
         SELECT 1 FROM runs.artifacts a WHERE a.run_id = r.id AND a.step_id = $2 AND a.task_key = $3 AND a.idx = $4
       ) AS done
       FROM runs.runs r WHERE r.id = $1`,
      [runId, stepId, taskKey, idx],
    );
    const r = rows[0];
    return r !== undefined && !isTerminalRunStatus(r.status) && !r.paused && !r.done;
  }

  /**
   * Inserts the task's artifact unless the task already left one, whatever the attempt that produced
   * it; returns whether it did. Callers hold the run's lock, so no other transaction writes one between
   * the check and the insert (which take one snapshot, after the lock).
   */
  async insertFirst(db: Db, a: NewArtifact): Promise<boolean> {
    const rows = await queryRows(
      db,
      `INSERT INTO runs.artifacts (run_id, step_id, task_key, attempt, idx, content)
       SELECT $1, $2, $3, $4, $5, $6::jsonb
       WHERE NOT EXISTS (
         SELECT 1 FROM runs.artifacts WHERE run_id = $1 AND step_id = $2 AND task_key = $3 AND idx = $5
       )
       ON CONFLICT (run_id, step_id, task_key, attempt, idx) DO NOTHING RETURNING 1`,
      [a.runId, a.stepId, a.taskKey, a.attempt, a.idx, JSON.stringify(a.content)],
    );
    return rows.length === 1;
  }
}
