import { Injectable } from '@nestjs/common';
import { eventKeys, type GateAuditEntry, type GateLedgerRow } from '@gatehouse/contracts';
import { queryRows, type Db } from '@gatehouse/persistence';

/** Caps what one history answer carries; a gate with more is being abused, and the oldest rows tell the story. */
export const HISTORY_ROW_LIMIT = 500;

/** The read-only history of one gate: its `ui:<g>:audit` trail and its ledger rows, in the order written. */
@Injectable()
export class GateHistoryRepository {
  async audit(db: Db, workflowId: string, gateKey: string): Promise<GateAuditEntry[]> {
    const rows = await queryRows<{ value: GateAuditEntry }>(
      db,
      `SELECT value FROM gates.workflow_events WHERE workflow_id = $1 AND key = $2 ORDER BY id LIMIT $3`,
      [workflowId, eventKeys.audit(gateKey), HISTORY_ROW_LIMIT],
    );
    return rows.map((r) => r.value);
  }

  async ledger(db: Db, workflowId: string, gateKey: string): Promise<GateLedgerRow[]> {
    const rows = await queryRows<{
      topic: string;
      dedupe_key: string;
      payload: unknown;
      payload_hash: string;
      origin: string;
      actor: string | null;
      on_behalf_of: string | null;
      created_at: Date;
    }>(
      db,
      `SELECT topic, dedupe_key, payload, payload_hash, origin, actor, on_behalf_of, created_at
         FROM gates.human_interactions WHERE workflow_id = $1 AND gate_key = $2 ORDER BY id LIMIT $3`,
      [workflowId, gateKey, HISTORY_ROW_LIMIT],
    );
    return rows.map((r) => ({
      topic: r.topic,
      dedupeKey: r.dedupe_key,
      payload: r.payload,
      payloadHash: r.payload_hash,
      origin: r.origin,
      actor: r.actor,
      onBehalfOf: r.on_behalf_of,
      createdAt: new Date(r.created_at).toISOString(),
    }));
  }
}
