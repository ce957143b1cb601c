import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { execute } from '@gatehouse/persistence';
import {
  escalationId,
  type EscalationDetail,
  type EscalationStatus,
  type EscalationView,
  type TimeoutAction,
} from '@gatehouse/contracts';

export interface EscalationOutcome {
  workflowId: string;
  gateKey: string;
  state: string;
  decision: string | null;
  by: string | null;
  /** The successor gate the `escalate` action opened, if any. */
  escalatedTo: string | null;
  at: Date;
}

/**
 * What completing the gate's escalation writes, for the statement that disarms its timer to do it in
 * the same round trip (TimersRepository.disarm): a STARTED row (one started before the timed-out
 * decision recorded it) becomes COMPLETED with the outcome; no row, or an ended one, is left alone.
 */
export function escalationCompletion(o: EscalationOutcome): { id: string; detail: string } {
  return { id: escalationId(o.workflowId, o.gateKey), detail: JSON.stringify(detailOf(o)) };
}

/** The outcome and, under `escalate`, the successor gate it opened. */
function detailOf(o: EscalationOutcome): EscalationDetail {
  return {
    outcome: { state: o.state, decision: o.decision, by: o.by, at: o.at.toISOString() },
    ...(o.escalatedTo ? { successorGateKey: o.escalatedTo } : {}),
  };
}

interface EscalationRow {
  id: string;
  workflow_id: string;
  gate_key: string;
  status: EscalationStatus;
  action: TimeoutAction;
  detail: EscalationDetail;
  created_at: Date;
}

/**
 * `escalation.escalations`: one escalation workflow per gate whose deadline passed while it was still
 * PENDING, id `esc:<wid>:<g>`.
 */
@Injectable()
export class EscalationsRepository {
  constructor(private readonly ds: DataSource) {}

  /**
   * Records the escalation of a gate the gates service timed out (decided by `timer`): the gate was
   * still PENDING when its deadline passed, so DESIGN section 5 starts `esc:<wid>:<g>`. Its action is
   * the fired timer's; by the time the gates service has decided, the timeout action has run, so the
   * row is COMPLETED with the outcome and, under `escalate`, the successor gate. A no-op without a
   * timer row; a replay leaves a completed row as it is.
   */
  async recordTimedOut(tx: EntityManager, o: EscalationOutcome): Promise<void> {
    await execute(
      tx,
      `INSERT INTO escalation.escalations AS e (id, workflow_id, gate_key, status, action, detail)
       SELECT $1, t.workflow_id, t.gate_key, 'COMPLETED', t.action, $4::jsonb
       FROM escalation.timers t WHERE t.workflow_id = $2 AND t.gate_key = $3
       ON CONFLICT (id) DO UPDATE
         SET status = 'COMPLETED', updated_at = now(), detail = e.detail || EXCLUDED.detail
         WHERE e.status = 'STARTED'`,
      [escalationId(o.workflowId, o.gateKey), o.workflowId, o.gateKey, JSON.stringify(detailOf(o))],
    );
  }

  async find(workflowId: string, gateKey: string): Promise<EscalationView | null> {
    const rows: EscalationRow[] = await this.ds.query(
      `SELECT id, workflow_id, gate_key, status, action, detail, created_at FROM escalation.escalations WHERE id = $1`,
      [escalationId(workflowId, gateKey)],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      id: r.id,
      workflowId: r.workflow_id,
      gateKey: r.gate_key,
      status: r.status,
      action: r.action,
      createdAt: r.created_at.toISOString(),
      detail: r.detail,
    };
  }
}
