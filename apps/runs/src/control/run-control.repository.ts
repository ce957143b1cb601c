import { Injectable } from '@nestjs/common';
import type { RunControlAction } from '@gatehouse/contracts';
import { execute, queryOne, type Db } from '@gatehouse/persistence';
import type { RunRow } from '../runs/run-row';

/** The pause columns of `runs.runs` and the audit trail `runs.run_control`. */
@Injectable()
export class RunControlRepository {
  async setPaused(db: Db, runId: string, pause: { actor: string; reason: string } | null): Promise<RunRow> {
    const row = await queryOne<RunRow>(
      db,
      pause
        ? `UPDATE runs.runs SET paused = true, paused_by = $2, paused_reason = $3, paused_at = now(),
             pause_count = pause_count + 1, updated_at = now() WHERE id = $1 RETURNING *`
        : `UPDATE runs.runs SET paused = false, paused_by = NULL, paused_reason = NULL, paused_at = NULL,
             updated_at = now() WHERE id = $1 RETURNING *`,
      pause ? [runId, pause.actor, pause.reason] : [runId],
    );
    if (!row) throw new Error(`run ${runId} vanished during run control`);
    return row;
  }

  async audit(db: Db, runId: string, action: RunControlAction, actor: string, reason: string): Promise<void> {
    await execute(db, `INSERT INTO runs.run_control (run_id, action, actor, reason) VALUES ($1, $2, $3, $4)`, [
      runId,
      action,
      actor,
      reason,
    ]);
  }

  /** A cancelled run's step that was fanning out child tasks stops RUNNING. */
  async failRunningSteps(db: Db, runId: string, error: unknown): Promise<void> {
    await execute(
      db,
      `UPDATE runs.run_steps SET status = 'FAILED', error = $2::jsonb, finished_at = now()
       WHERE run_id = $1 AND status = 'RUNNING'`,
      [runId, JSON.stringify(error)],
    );
  }
}
