import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  gateMsgIds,
  GateState,
  subjects,
  sysSubjects,
  type GateCancelledEvent,
  type GateDecidedEvent,
  type GateEscalatedEvent,
  type GateOpenedEvent,
  type RejectedReplyAnnouncement,
} from '@gatehouse/contracts';
import { OutboxService, type OutboxMessage } from '@gatehouse/messaging';

/**
 * The messages announcing a decided gate: the internal `gate-decided` event and its `sys.>` copy
 * (`gate-decided` for a reply, `gate-timed-out` for a deadline). Pure, for every path that records
 * a decision (the locked transaction and the reply fast path's single statement).
 */
export function decidedMessages(ev: Omit<GateDecidedEvent, 'at'> & { at?: string }): OutboxMessage[] {
  const { workflowId: wid, gateKey: g } = ev;
  const timedOut = ev.state === GateState.TIMED_OUT;
  return [
    { msgId: gateMsgIds.gateDecided(wid, g), subject: subjects.gateDecided(wid, g), payload: ev },
    timedOut
      ? { msgId: gateMsgIds.sysGateTimedOut(wid, g), subject: sysSubjects.gateTimedOut, payload: ev }
      : { msgId: gateMsgIds.sysGateDecided(wid, g), subject: sysSubjects.gateDecided, payload: ev },
  ];
}

/**
 * The messages announcing a gate fact, written to the outbox in the fact's own transaction: the
 * internal event other services act on (`evt.gates.*`) and its copy for outside listeners on `sys.>`
 * (DESIGN section 10). Every message id is deterministic, so a repeated fact is announced once.
 */
@Injectable()
export class GateAnnouncements {
  constructor(private readonly outbox: OutboxService) {}

  opened(tx: EntityManager, ev: GateOpenedEvent): Promise<void> {
    const { workflowId: wid, gateKey: g } = ev;
    return this.outbox.write(
      tx,
      { msgId: gateMsgIds.gateOpened(wid, g), subject: subjects.gateOpened(wid, g), payload: ev },
      { msgId: gateMsgIds.sysGateOpened(wid, g), subject: sysSubjects.gateOpened, payload: ev },
    );
  }

  /** A reply accepted (sys `gate-decided`) or a deadline passed (sys `gate-timed-out`). */
  decided(tx: EntityManager, ev: GateDecidedEvent): Promise<void> {
    return this.outbox.write(tx, ...decidedMessages(ev));
  }

  escalated(tx: EntityManager, ev: GateEscalatedEvent): Promise<void> {
    return this.outbox.write(tx, {
      msgId: gateMsgIds.sysGateEscalated(ev.workflowId, ev.gateKey),
      subject: sysSubjects.gateEscalated,
      payload: ev,
    });
  }

  cancelled(tx: EntityManager, ev: GateCancelledEvent): Promise<void> {
    const { workflowId: wid, gateKey: g } = ev;
    return this.outbox.write(
      tx,
      { msgId: gateMsgIds.gateCancelled(wid, g), subject: subjects.gateCancelled(wid, g), payload: ev },
      { msgId: gateMsgIds.sysGateCancelled(wid, g), subject: sysSubjects.gateCancelled, payload: ev },
    );
  }

  rejectedReply(tx: EntityManager, fingerprint: string, announcement: RejectedReplyAnnouncement): Promise<void> {
    return this.outbox.write(tx, {
      msgId: gateMsgIds.sysRejectedReply(fingerprint),
      subject: sysSubjects.rejectedReply,
      payload: announcement,
    });
  }
}
