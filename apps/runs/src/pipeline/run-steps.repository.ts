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
  /** The steps that already succeeded, or (ExecuteST) are running their child tasks. */
  async started(db: Db, runId: string): Promise<Set<StepId>> {
    const rows = await queryRows<{ step_id: StepId }>(
      db,
      `SELECT DISTINCT step_id FROM runs.run_steps WHERE run_id = $1 AND status IN ('SUCCEEDED', 'RUNNING')`,
      [runId],
    );
    return new Set(rows.map((r) => r.step_id));
  }

  /** Inserts the row unless one exists for (run, step, attempt); returns whether it did. */
  async insert(db: Db, step: NewRunStep): Promise<boolean> {
    return (await this.insertAll(db, [step])) === 1;
  }

  /** Inserts the rows in one statement, skipping any (run, step, attempt) that exists; returns how many it inserted. */
  async insertAll(db: Db, steps: NewRunStep[]): Promise<number> {
    if (steps.length === 0) return 0;
    const params: unknown[] = [];
    const values = steps.map((step) => {
      params.push(step.runId, step.stepId, step.attempt, step.status, jsonb(step.output), jsonb(step.error));
      const b = params.length - 6;
      return `($${b + 1}::uuid, $${b + 2}::text, $${b + 3}::int, $${b + 4}::text, $${b + 5}::jsonb, $${b + 6}::jsonb,
               CASE WHEN $${b + 4}::text = 'RUNNING' THEN NULL ELSE now() END)`;
    });
    const rows = await queryRows(
      db,
      `INSERT INTO runs.run_steps (run_id, step_id, attempt, status, output, error, finished_at)
       VALUES ${values.join(', ')}
       ON CONFLICT (run_id, step_id, attempt) DO NOTHING RETURNING 1`,
      params,
    );
    return rows.length;
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
