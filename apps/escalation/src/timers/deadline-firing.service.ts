import { Injectable } from '@nestjs/common';
import { escalationId, subjects, type DeadlinePassedEvent } from '@gatehouse/contracts';
import { OutboxService } from '@gatehouse/messaging';
import { TimersRepository, type DueTimer } from './timers.repository';

/** Timers claimed per transaction. */
export const FIRE_BATCH_SIZE = 100;

export const deadlinePassedMsgId = (wid: string, g: string) => `deadline-passed:${wid}:${g}`;

/** Fires due timers: the use case behind the scheduler's wake-ups. */
@Injectable()
export class DeadlineFiringService {
  constructor(
    private readonly outbox: OutboxService,
    private readonly timers: TimersRepository,
  ) {}

  /**
   * One transaction: claim up to FIRE_BATCH_SIZE due timers and write their deadline-passed
   * messages to the outbox. Returns the timers this call fired. No escalation row yet: the gate may
   * have been answered while this service was down; only the gates service's decided-by-timer event
   * (TimersService.gateDecided) confirms the gate was still PENDING and records the escalation.
   */
  fireDueBatch(): Promise<DueTimer[]> {
    return this.outbox.transaction(async (tx) => {
      const due = await this.timers.claimDue(tx, FIRE_BATCH_SIZE);
      if (due.length === 0) return due;
      await this.outbox.write(
        tx,
        ...due.map((t) => ({
          msgId: deadlinePassedMsgId(t.workflowId, t.gateKey),
          subject: subjects.deadlinePassed(t.workflowId, t.gateKey),
          payload: {
            workflowId: t.workflowId,
            gateKey: t.gateKey,
            deadlineAt: t.deadlineAt.toISOString(),
            action: t.action,
            escalationId: escalationId(t.workflowId, t.gateKey),
          } satisfies DeadlinePassedEvent,
        })),
      );
      return due;
    });
  }
}
