import type { EntityManager } from 'typeorm';
import { queryRows } from '@gatehouse/persistence';
import type { InboundMessage } from './inbound-message';

/** Records one message in the inbox; false when it is already there (a duplicate). */
export async function claimInbox(
  tx: EntityManager,
  schema: string,
  consumer: string,
  m: InboundMessage,
): Promise<boolean> {
  const rows = await queryRows(
    tx,
    `INSERT INTO ${schema}.inbox (consumer, msg_id, subject) VALUES ($1, $2, $3)
     ON CONFLICT (consumer, msg_id) DO NOTHING RETURNING 1`,
    [consumer, m.msgId, m.subject],
  );
  return rows.length === 1;
}

/**
 * Records a batch in the inbox with one statement; returns the message ids that were new. An id
 * twice in the batch is inserted once. Rows go in id order, so two batches that share ids wait for
 * each other instead of deadlocking.
 */
export async function claimInboxBatch(
  tx: EntityManager,
  schema: string,
  consumer: string,
  messages: InboundMessage[],
): Promise<Set<string>> {
  const rows = await queryRows<{ msg_id: string }>(
    tx,
    `INSERT INTO ${schema}.inbox (consumer, msg_id, subject)
     SELECT $1, t.msg_id, t.subject FROM unnest($2::text[], $3::text[]) AS t(msg_id, subject) ORDER BY t.msg_id
     ON CONFLICT (consumer, msg_id) DO NOTHING RETURNING msg_id`,
    [consumer, messages.map((m) => m.msgId), messages.map((m) => m.subject)],
  );
  return new Set(rows.map((r) => r.msg_id));
}
