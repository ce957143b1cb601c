import type { EntityManager } from 'typeorm';
import { execute } from '@gatehouse/persistence';
import { assertSchemaName, type OutboxMessage } from '../outbox/outbox-message';
import { fairQueueOf } from './fair-queues';

/**
 * Writes work for a fair queue in the caller's transaction, next to the fact that asks for it. It
 * waits in `<schema>.work_queue` until a FairDispatcher releases it to JetStream (through the outbox,
 * with the message's own id). A message id already waiting or in flight is ignored.
 *
 * Start-time fair queuing: each item gets a tag (its virtual start) one past the later of the queue's
 * virtual time and its partition's last tag, and the dispatcher releases in tag order. The virtual
 * time is what is being served now: the smallest waiting tag, or when nothing waits the smallest tag
 * in flight. A partition with a backlog has tags far ahead; a newcomer's work is tagged at the current
 * virtual time, so it goes out after at most one item of each other busy partition, whatever their
 * backlogs. No per-partition state outlives the partition's rows.
 *
 * Not the largest tag in flight: the window releases a lone partition's tasks far ahead of the virtual
 * time (all 64 of a 64-task fan-out at once), and tags are taken when the statement runs but seen at
 * commit, so a newcomer tagged past them went out after every task that concurrent transactions
 * (a consumer's group commit fanning out many runs) had tagged from the start: in arrival order.
 */
export async function writeWork(tx: EntityManager, schema: string, messages: OutboxMessage[]): Promise<void> {
  if (messages.length === 0) return;
  const s = assertSchemaName(schema);
  const rows = messages.map((m) => {
    const target = fairQueueOf(m.subject);
    if (!target) throw new Error(`${m.subject} is not the subject of a fair queue`);
    return { ...m, ...target };
  });
  await execute(
    tx,
    `WITH w AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY
         AS w(queue, partition_key, msg_id, subject, payload, n)
     ), base AS (
       -- Once per partition in the statement: the later of the queue's virtual time and the partition's last tag.
       SELECT g.queue, g.partition_key, greatest(
         coalesce(
           (SELECT tag - 1 FROM ${s}.work_queue WHERE queue = g.queue AND released_at IS NULL ORDER BY tag, id LIMIT 1),
           (SELECT min(tag) - 1 FROM ${s}.work_queue WHERE queue = g.queue AND released_at IS NOT NULL),
           0),
         coalesce((SELECT max(tag) FROM ${s}.work_queue WHERE queue = g.queue AND partition_key = g.partition_key), 0)
       ) AS tag
       FROM (SELECT DISTINCT queue, partition_key FROM w) g
     )
     INSERT INTO ${s}.work_queue (queue, partition_key, msg_id, subject, payload, tag)
     SELECT w.queue, w.partition_key, w.msg_id, w.subject, w.payload::jsonb,
            b.tag + row_number() OVER (PARTITION BY w.queue, w.partition_key ORDER BY w.n)
     FROM w JOIN base b ON b.queue = w.queue AND b.partition_key = w.partition_key
     ORDER BY w.n
     ON CONFLICT (msg_id) DO NOTHING`,
    [
      rows.map((r) => r.queue),
      rows.map((r) => r.partitionKey),
      rows.map((r) => r.msgId),
      rows.map((r) => r.subject),
      rows.map((r) => JSON.stringify(r.payload ?? null)),
    ],
  );
}

/**
 * Frees the window slots of settled messages (applied, found already applied, or dead-lettered), in
 * the transaction that settles them, so a slot is freed exactly when its message's effects commit.
 */
export async function settleWork(tx: EntityManager, schema: string, msgIds: string[]): Promise<void> {
  if (msgIds.length === 0) return;
  await execute(tx, `DELETE FROM ${assertSchemaName(schema)}.work_queue WHERE msg_id = ANY($1::text[])`, [msgIds]);
}
