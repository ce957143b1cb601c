import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DecidedBy } from '@gatehouse/contracts';
import { EscalationsRepository, escalationCompletion } from '../escalations/escalations.repository';
import type { GateDecided, GateOpened } from './gate-event.parser';
import { rearmAfterCommit } from './rearm-after-commit.subscriber';
import { TimersRepository } from './timers.repository';

/** Arms and disarms gate timers inside the consumer's exactly-once transaction. */
@Injectable()
export class TimersService {
  constructor(
    private readonly timers: TimersRepository,
    private readonly escalations: EscalationsRepository,
  ) {}

  async gateOpened(tx: EntityManager, e: GateOpened): Promise<void> {
    await this.timers.arm(tx, e);
    rearmAfterCommit(tx);
  }

  /**
   * A decided or cancelled gate needs no timer. Decided by `timer`, the gates service confirmed the
   * gate was still PENDING at its deadline, so its escalation is recorded (before the disarm, which
   * would otherwise create a placeholder timer row). A human or policy decision never creates one,
   * even after the timer FIRED (the decision was recorded before the deadline took effect).
   */
  async gateDecided(tx: EntityManager, e: GateDecided): Promise<void> {
    // No re-arm after the disarm: it can only move the earliest deadline later, and a wake-up for a
    // timer that is no longer armed finds nothing due and sets the next one.
    if (e.by === DecidedBy.TIMER) {
      await this.escalations.recordTimedOut(tx, e);
      await this.timers.disarm(tx, e);
    } else {
      await this.timers.disarm(tx, e, escalationCompletion(e));
    }
  }
}
