import { Injectable } from '@nestjs/common';
import type { RecordedReply } from './reply-rules';
import { execute, queryRows, type Db } from '@gatehouse/persistence';

/** What the ledger records of a reply, besides its gate and time. */
export interface InteractionFields {
  topic: string;
  dedupeKey: string;
  payload: unknown;
  payloadHash: string;
  origin: string;
  actor: string | null;
  onBehalfOf: string | null;
}

export interface NewInteraction extends InteractionFields {
  workflowId: string;
  gateKey: string;
  at: string;
}

export function interactionFields(cmd: InteractionFields): InteractionFields {
  const { topic, dedupeKey, payload, payloadHash, origin, actor, onBehalfOf } = cmd;
  return { topic, dedupeKey, payload, payloadHash, origin, actor, onBehalfOf };
}

/** SQL on the interaction ledger `gates.human_interactions` (accepted replies only). */
@Injectable()
export class InteractionsRepository {
  /** The reply recorded under `dedupeKey` on this gate, whatever its topic (one key, one reply). */
  async findByDedupeKey(
    db: Db,
    workflowId: string,
    gateKey: string,
    dedupeKey: string,
  ): Promise<RecordedReply | undefined> {
    const rows = await queryRows<{ topic: string; payload_hash: string; actor: string | null }>(
      db,
      `SELECT topic, payload_hash, actor FROM gates.human_interactions
       WHERE workflow_id = $1 AND gate_key = $2 AND dedupe_key = $3`,
      [workflowId, gateKey, dedupeKey],
    );
    return rows[0] ? { topic: rows[0].topic, payloadHash: rows[0].payload_hash, actor: rows[0].actor } : undefined;
  }

  async insert(db: Db, row: NewInteraction): Promise<void> {
    await execute(
      db,
      `INSERT INTO gates.human_interactions
         (workflow_id, gate_key, topic, dedupe_key, payload, payload_hash, origin, actor, on_behalf_of, created_at)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10)`,
      [
        row.workflowId,
        row.gateKey,
        row.topic,
        row.dedupeKey,
        JSON.stringify(row.payload),
        row.payloadHash,
        row.origin,
        row.actor,
        row.onBehalfOf,
        row.at,
      ],
    );
  }
}
