import { Injectable } from '@nestjs/common';
import {
  eventKeys,
  type GateAuditEntry,
  type GateDecisionValue,
  type GatePrompt,
  type GateResult,
} from '@gatehouse/contracts';
import { queryRows, type Db } from '@gatehouse/persistence';

export interface GateEvents {
  prompt: GatePrompt | undefined;
  result: GateResult | null;
  decision: GateDecisionValue | null;
}

/** SQL on `gates.workflow_events`: the ABI's event keys (DESIGN section 3). */
@Injectable()
export class WorkflowEventsRepository {
  /**
   * Writes `ui:<g>`, `ui:<g>:result` or `decision:<g>`, which exist at most once per run (a unique
   * index). Returns false when it was already there.
   */
  async writeOnce(db: Db, workflowId: string, key: string, value: unknown): Promise<boolean> {
    const rows = await queryRows(
      db,
      `INSERT INTO gates.workflow_events (workflow_id, key, value) VALUES ($1, $2, $3::jsonb)
       ON CONFLICT DO NOTHING RETURNING 1`,
      [workflowId, key, JSON.stringify(value)],
    );
    return rows.length === 1;
  }

  /** Appends to `ui:<g>:audit`, at most once per `auditKey`. Returns false when already recorded. */
  async audit(db: Db, workflowId: string, gateKey: string, auditKey: string, entry: GateAuditEntry): Promise<boolean> {
    const rows = await queryRows(
      db,
      `INSERT INTO gates.workflow_events (workflow_id, key, value, audit_key) VALUES ($1, $2, $3::jsonb, $4)
       ON CONFLICT DO NOTHING RETURNING 1`,
      [workflowId, eventKeys.audit(gateKey), JSON.stringify(entry), auditKey],
    );
    return rows.length === 1;
  }

  async gateEvents(db: Db, workflowId: string, gateKey: string): Promise<GateEvents> {
    const keys = [eventKeys.prompt(gateKey), eventKeys.result(gateKey), eventKeys.decision(gateKey)];
    const rows = await queryRows<{ key: string; value: unknown }>(
      db,
      `SELECT key, value FROM gates.workflow_events WHERE workflow_id = $1 AND key = ANY($2)`,
      [workflowId, keys],
    );
    const byKey = new Map(rows.map((r) => [r.key, r.value]));
    return {
      prompt: byKey.get(keys[0]) as GatePrompt | undefined,
      result: (byKey.get(keys[1]) as GateResult | undefined) ?? null,
      decision: (byKey.get(keys[2]) as GateDecisionValue | undefined) ?? null,
    };
  }
}
