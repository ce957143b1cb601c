import type { EntityManager } from 'typeorm';
import { execute } from '@gatehouse/persistence';

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
 * One statement text whatever the number of messages (arrays, in order), so it is prepared once.
 */
export async function writeOutbox(tx: EntityManager, schema: string, messages: OutboxMessage[]): Promise<void> {
  if (messages.length === 0) return;
  const s = assertSchemaName(schema);
  const buffered = buffers.get(tx);
  if (!buffered) return insertOutbox(tx, s, messages);
  const pending = buffered.get(s);
  if (pending) pending.push(...messages);
  else buffered.set(s, [...messages]);
}

/** Outbox rows held back until the end of a transaction's work, by schema; see withBufferedOutbox. */
const buffers = new WeakMap<EntityManager, Map<string, OutboxMessage[]>>();

/**
 * Runs `work` with the outbox writes made on `tx` held back, then writes them in one statement per
 * schema, in the order they were written, before returning (so still inside the transaction). A
 * group-committed batch of deliveries thus inserts its outbox rows once, not once per delivery.
 * Also tells how many messages `work` wrote, so that a caller can leave the relay alone after a
 * commit that gave it nothing. If `work` throws, nothing is written (the transaction rolls back).
 */
export async function withBufferedOutbox<T>(
  tx: EntityManager,
  work: () => Promise<T>,
): Promise<{ value: T; written: number }> {
  if (buffers.has(tx)) throw new Error('outbox writes are already held back on this transaction');
  const buffered = new Map<string, OutboxMessage[]>();
  buffers.set(tx, buffered);
  try {
    const value = await work();
    let written = 0;
    for (const [schema, messages] of buffered) {
      await insertOutbox(tx, schema, messages);
      written += messages.length;
    }
    return { value, written };
  } finally {
    buffers.delete(tx);
  }
}

async function insertOutbox(tx: EntityManager, s: string, messages: OutboxMessage[]): Promise<void> {
  await execute(
    tx,
    `INSERT INTO ${s}.outbox (msg_id, subject, payload, headers)
     SELECT m.msg_id, m.subject, m.payload::jsonb, m.headers::jsonb
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS m(msg_id, subject, payload, headers, n)
     ORDER BY m.n
     ON CONFLICT (msg_id) DO NOTHING`,
    [
      messages.map((m) => m.msgId),
      messages.map((m) => m.subject),
      messages.map((m) => JSON.stringify(m.payload ?? null)),
      messages.map((m) => JSON.stringify(m.headers ?? {})),
    ],
  );
}
