import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  escalationId,
  type EscalationDetail,
  type EscalationStatus,
  type EscalationView,
  type TimeoutAction,
} from '@gatehouse/contracts';

export interface EscalationStart {
  workflowId: string;
  gateKey: string;
  action: TimeoutAction;
}

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

interface EscalationRow {
  id: string;
  workflow_id: string;
  gate_key: string;
  status: EscalationStatus;
  action: TimeoutAction;
  detail: EscalationDetail;
  created_at: Date;
}

/** `escalation.escalations`: one escalation workflow per gate whose deadline passed, id `esc:<wid>:<g>`. */
@Injectable()
export class EscalationsRepository {
  constructor(private readonly ds: DataSource) {}

  /** Starts the escalations of fired timers; an existing one is left as it is. */
  async start(tx: EntityManager, starts: EscalationStart[]): Promise<void> {
    if (starts.length === 0) return;
    await tx.query(
      `INSERT INTO escalation.escalations (id, workflow_id, gate_key, status, action)
       SELECT id, workflow_id, gate_key, 'STARTED', action
       FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[]) AS s(id, workflow_id, gate_key, action)
       ON CONFLICT (id) DO NOTHING`,
      [
        starts.map((s) => escalationId(s.workflowId, s.gateKey)),
        starts.map((s) => s.workflowId),
        starts.map((s) => s.gateKey),
        starts.map((s) => s.action),
      ],
    );
  }

  /** Completes the gate's escalation once the gate is decided; a no-op when there is none or it ended. */
  /**
   * Completes the gate's escalation once the gate left PENDING; a no-op when there is none or it ended.
   * The detail records the outcome and, under `escalate`, the successor gate it opened.
   */
  async complete(tx: EntityManager, o: EscalationOutcome): Promise<void> {
    const detail: EscalationDetail = {
      outcome: { state: o.state, decision: o.decision, by: o.by, at: o.at.toISOString() },
      ...(o.escalatedTo ? { successorGateKey: o.escalatedTo } : {}),
    };
    await tx.query(
      `UPDATE escalation.escalations
       SET status = 'COMPLETED', updated_at = now(), detail = detail || $2::jsonb
       WHERE id = $1 AND status = 'STARTED'`,
      [escalationId(o.workflowId, o.gateKey), JSON.stringify(detail)],
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
