import type { EntityManager } from 'typeorm';
import { queryRows } from '@gatehouse/persistence';

export interface OutboxMessage {
  /** Deterministic id of the fact; becomes Nats-Msg-Id, so a re-publish is dropped by the stream. */
  msgId: string;
  subject: string;
  payload: unknown;
  headers?: Record<string, string>;
}

/** An outbox row a transaction inserted, as the relay publishes it once the transaction commits. */
export interface WrittenOutboxRow {
  schema: string;
  id: string;
  msgId: string;
  subject: string;
  /** The payload as JSON text. */
  payload: string;
  headers: Record<string, string>;
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
  if (!buffered) {
    await insertOutbox(tx, s, messages);
    return;
  }
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
 * Returns the rows it inserted (not those whose message id was already in the outbox), for the
 * relay to publish as soon as the transaction has committed (OutboxRelay.publishCommitted). If
 * `work` throws, nothing is written (the transaction rolls back anyway).
 */
export async function withBufferedOutbox<T>(
  tx: EntityManager,
  work: () => Promise<T>,
): Promise<{ value: T; written: WrittenOutboxRow[] }> {
  if (buffers.has(tx)) throw new Error('outbox writes are already held back on this transaction');
  const buffered = new Map<string, OutboxMessage[]>();
  buffers.set(tx, buffered);
  try {
    const value = await work();
    const written: WrittenOutboxRow[] = [];
    for (const [schema, messages] of buffered) written.push(...(await insertOutbox(tx, schema, messages)));
    return { value, written };
  } finally {
    buffers.delete(tx);
  }
}

async function insertOutbox(tx: EntityManager, s: string, messages: OutboxMessage[]): Promise<WrittenOutboxRow[]> {
  const payloads = messages.map((m) => JSON.stringify(m.payload ?? null));
  const inserted = await queryRows<{ id: string; msg_id: string }>(
    tx,
    `INSERT INTO ${s}.outbox (msg_id, subject, payload, headers)
     SELECT m.msg_id, m.subject, m.payload::jsonb, m.headers::jsonb
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS m(msg_id, subject, payload, headers, n)
     ORDER BY m.n
     ON CONFLICT (msg_id) DO NOTHING
     RETURNING id, msg_id`,
    [
      messages.map((m) => m.msgId),
      messages.map((m) => m.subject),
      payloads,
      messages.map((m) => JSON.stringify(m.headers ?? {})),
    ],
  );
  // Of two messages with one id in this statement, the first is the one inserted.
  const first = new Map<string, number>();
  messages.forEach((m, i) => {
    if (!first.has(m.msgId)) first.set(m.msgId, i);
  });
  return inserted.map((row) => {
    const i = first.get(row.msg_id)!;
    const m = messages[i];
    return {
      schema: s,
      id: String(row.id),
      msgId: m.msgId,
      subject: m.subject,
      payload: payloads[i],
      headers: m.headers ?? {},
    };
  });
}
