import { Injectable } from '@nestjs/common';
import { StepStatus, type StepId } from '@gatehouse/contracts';
import { jsonb, queryRows, type Db } from '@gatehouse/persistence';

export interface NewRunStep {
  runId: string;
  stepId: StepId;
  attempt: number;
  status: StepStatus;
  output?: unknown;
  error?: unknown;
}

/** `runs.run_steps`: one row per (run, step, attempt), enforced by `run_steps_once`. */
@Injectable()
export class RunStepsRepository {
  /** True when the step already succeeded, or (ExecuteST) is running its child tasks. */
  async isStarted(db: Db, runId: string, stepId: StepId): Promise<boolean> {
    const rows = await queryRows(
      db,
      `SELECT 1 FROM runs.run_steps WHERE run_id = $1 AND step_id = $2 AND status IN ('SUCCEEDED', 'RUNNING') LIMIT 1`,
      [runId, stepId],
    );
    return rows.length > 0;
  }

  /** Inserts the row unless one exists for (run, step, attempt); returns whether it did. */
  async insert(db: Db, step: NewRunStep): Promise<boolean> {
    const rows = await queryRows(
      db,
      `INSERT INTO runs.run_steps (run_id, step_id, attempt, status, output, error, finished_at)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, CASE WHEN $4 = 'RUNNING' THEN NULL ELSE now() END)
       ON CONFLICT (run_id, step_id, attempt) DO NOTHING RETURNING 1`,
      [step.runId, step.stepId, step.attempt, step.status, jsonb(step.output), jsonb(step.error)],
    );
    return rows.length === 1;
  }

  /** Closes the step's RUNNING row; returns whether there was one. */
  async finishRunning(
    db: Db,
    runId: string,
    stepId: StepId,
    status: StepStatus.SUCCEEDED | StepStatus.FAILED,
    result: { output?: unknown; error?: unknown },
  ): Promise<boolean> {
    const rows = await queryRows(
      db,
      `UPDATE runs.run_steps SET status = $3, output = COALESCE($4::jsonb, output), error = $5::jsonb, finished_at = now()
       WHERE run_id = $1 AND step_id = $2 AND status = 'RUNNING' RETURNING 1`,
      [runId, stepId, status, jsonb(result.output), jsonb(result.error)],
    );
    return rows.length > 0;
  }
}
