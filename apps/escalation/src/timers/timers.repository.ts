import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { execute, queryRows } from '@gatehouse/persistence';
import type { TimeoutAction } from '@gatehouse/contracts';
import type { GateDecided, GateOpened } from './gate-event.parser';

export enum TimerStatus {
  ARMED = 'ARMED',
  FIRED = 'FIRED',
  DISARMED = 'DISARMED',
}

export interface DueTimer {
  workflowId: string;
  gateKey: string;
  deadlineAt: Date;
  action: TimeoutAction;
}

/**
 * Placeholder policy of a timer disarmed before its gate-opened event arrived. The columns are
 * NOT NULL, so such a row carries the decision time and the fail-closed action until the late
 * gate-opened event fills in the real deadline, action and policy (status stays DISARMED).
 */
const UNKNOWN_POLICY = '{}';

/** `escalation.timers`: one row per gate, ARMED -> FIRED | DISARMED, never back. */
@Injectable()
export class TimersRepository {
  constructor(private readonly ds: DataSource) {}

  /** Arms the gate's timer unless it already exists (replay) or was disarmed first (out of order). */
  async arm(tx: EntityManager, e: GateOpened): Promise<void> {
    await execute(
      tx,
      `INSERT INTO escalation.timers AS t (workflow_id, gate_key, deadline_at, action, policy, status)
       VALUES ($1, $2, $3, $4, $5::jsonb, 'ARMED')
       ON CONFLICT (workflow_id, gate_key) DO UPDATE
         SET deadline_at = EXCLUDED.deadline_at, action = EXCLUDED.action, policy = EXCLUDED.policy
         WHERE t.status = 'DISARMED' AND t.policy = $6::jsonb`,
      [e.workflowId, e.gateKey, e.deadlineAt, e.action, JSON.stringify(e.policy), UNKNOWN_POLICY],
    );
  }

  /**
   * Disarms the gate's timer if it is still ARMED. When the decided event overtook the opened one
   * the row is created DISARMED, so the late opened event cannot arm it.
   */
  async disarm(tx: EntityManager, e: GateDecided, completing?: { id: string; detail: string }): Promise<void> {
    const disarm = `INSERT INTO escalation.timers AS t (workflow_id, gate_key, deadline_at, action, policy, status)
       VALUES ($1, $2, $3, 'reject', $4::jsonb, 'DISARMED')
       ON CONFLICT (workflow_id, gate_key) DO UPDATE SET status = 'DISARMED' WHERE t.status = 'ARMED'`;
    const params = [e.workflowId, e.gateKey, e.at, UNKNOWN_POLICY];
    if (!completing) {
      await execute(tx, disarm, params);
      return;
    }
    // In the same statement: complete the gate's STARTED escalation, if it has one (escalationCompletion).
    await execute(
      tx,
      `WITH completed AS (
         UPDATE escalation.escalations SET status = 'COMPLETED', updated_at = now(), detail = detail || $6::jsonb
         WHERE id = $5 AND status = 'STARTED'
       )
       ${disarm}`,
      [...params, completing.id, completing.detail],
    );
  }

  /**
   * Milliseconds from the database's now to the earliest armed deadline (negative when due), or
   * null when nothing is armed. Served by the partial index timers_armed_idx.
   */
  /** How many timers are ARMED, and how many of those are past their deadline by over `overdueS`. */
  async armedCounts(overdueS: number): Promise<{ armed: number; overdue: number }> {
    const rows = await queryRows<{ armed: number; overdue: number }>(
      this.ds,
      `SELECT count(*)::int AS armed,
              count(*) FILTER (WHERE deadline_at < now() - make_interval(secs => $1))::int AS overdue
       FROM escalation.timers WHERE status = 'ARMED'`,
      [overdueS],
    );
    return rows[0] ?? { armed: 0, overdue: 0 };
  }

  async msUntilEarliestArmed(): Promise<number | null> {
    const rows = await queryRows<{ ms_until: number | null }>(
      this.ds,
      `SELECT (extract(epoch FROM min(deadline_at) - now()) * 1000)::float8 AS ms_until
       FROM escalation.timers WHERE status = 'ARMED'`,
    );
    return rows[0]?.ms_until ?? null;
  }

  /**
   * Claims up to `limit` due timers for this transaction. SKIP LOCKED lets replicas claim disjoint
   * batches, and the status check (re-evaluated on the locked row) means a timer another replica
   * already fired, or a decided event disarmed, is never claimed again.
   */
  async claimDue(tx: EntityManager, limit: number): Promise<DueTimer[]> {
    // In a CTE so that the driver answers with the rows (TypeORM returns [rows, count] for a bare UPDATE).
    const rows = await queryRows<{ workflow_id: string; gate_key: string; deadline_at: Date; action: TimeoutAction }>(
      tx,
      `WITH fired AS (
         UPDATE escalation.timers SET status = 'FIRED', fired_at = now()
         WHERE (workflow_id, gate_key) IN (
             SELECT workflow_id, gate_key FROM escalation.timers
             WHERE status = 'ARMED' AND deadline_at <= now()
             ORDER BY deadline_at
             LIMIT $1
             FOR UPDATE SKIP LOCKED)
           AND status = 'ARMED'
         RETURNING workflow_id, gate_key, deadline_at, action)
       SELECT workflow_id, gate_key, deadline_at, action FROM fired`,
      [limit],
    );
    return rows.map((r) => ({
      workflowId: r.workflow_id,
      gateKey: r.gate_key,
      deadlineAt: r.deadline_at,
      action: r.action,
    }));
  }
}
