import { Injectable } from '@nestjs/common';
import type { GateDecidedEvent } from '@gatehouse/contracts';
import type { OutboxMessage } from '@gatehouse/messaging';
import { execute, queryRows, type Db } from '@gatehouse/persistence';

export type HeldWork = { kind: 'message'; message: OutboxMessage } | { kind: 'gate-decided'; event: GateDecidedEvent };

interface RawHeld {
  kind: 'message' | 'gate-decided';
  msg_id: string;
  subject: string;
  payload: unknown;
}

/**
 * `runs.held_messages`: the work a paused run did not start (a step or child-task message, a gate
 * decision), kept in arrival order until resume releases it or cancel drops it. Holding the same
 * message twice (a redelivery) keeps one row.
 */
@Injectable()
export class HeldWorkRepository {
  async holdMessage(db: Db, runId: string, message: OutboxMessage): Promise<void> {
    await execute(
      db,
      `INSERT INTO runs.held_messages (run_id, kind, msg_id, subject, payload) VALUES ($1, 'message', $2, $3, $4::jsonb)
       ON CONFLICT (run_id, msg_id) DO NOTHING`,
      [runId, message.msgId, message.subject, JSON.stringify(message.payload)],
    );
  }

  async holdDecision(db: Db, event: GateDecidedEvent): Promise<void> {
    await execute(
      db,
      `INSERT INTO runs.held_messages (run_id, kind, msg_id, subject, payload) VALUES ($1, 'gate-decided', $2, '', $3::jsonb)
       ON CONFLICT (run_id, msg_id) DO NOTHING`,
      [event.workflowId, `gate-decided:${event.workflowId}:${event.gateKey}`, JSON.stringify(event)],
    );
  }

  /** Removes and returns the run's held work, oldest first. */
  async takeAll(db: Db, runId: string): Promise<HeldWork[]> {
    const rows = await queryRows<RawHeld>(
      db,
      `WITH taken AS (DELETE FROM runs.held_messages WHERE run_id = $1 RETURNING id, kind, msg_id, subject, payload)
       SELECT kind, msg_id, subject, payload FROM taken ORDER BY id`,
      [runId],
    );
    return rows.map((r) =>
      r.kind === 'message'
        ? { kind: 'message', message: { msgId: r.msg_id, subject: r.subject, payload: r.payload } }
        : { kind: 'gate-decided', event: r.payload as GateDecidedEvent },
    );
  }
}
