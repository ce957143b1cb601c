import type { EntityManager } from 'typeorm';

export interface OutboxMessage {
  /** Deterministic id of the fact; becomes Nats-Msg-Id, so a re-publish is dropped by the stream. */
  msgId: string;
  subject: string;
  payload: unknown;
  headers?: Record<string, string>;
}

const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]*$/;

export function assertSchemaName(schema: string): string {
  if (!SCHEMA_PATTERN.test(schema)) throw new Error(`invalid schema name ${schema}`);
  return schema;
}

/**
 * Writes outbox rows inside the caller's transaction, next to the fact they announce.
 * A message id already in the outbox is ignored: writing the same fact twice announces it once.
 */
export async function writeOutbox(tx: EntityManager, schema: string, messages: OutboxMessage[]): Promise<void> {
  if (messages.length === 0) return;
  const s = assertSchemaName(schema);
  const values: unknown[] = [];
  const rows = messages.map((m, i) => {
    values.push(m.msgId, m.subject, JSON.stringify(m.payload ?? null), JSON.stringify(m.headers ?? {}));
    const b = i * 4;
    return `($${b + 1}, $${b + 2}, $${b + 3}::jsonb, $${b + 4}::jsonb)`;
  });
  await tx.query(
    `INSERT INTO ${s}.outbox (msg_id, subject, payload, headers) VALUES ${rows.join(', ')}
     ON CONFLICT (msg_id) DO NOTHING`,
    values,
  );
}
