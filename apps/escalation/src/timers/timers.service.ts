import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { EscalationsRepository } from '../escalations/escalations.repository';
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

  /** A decided or cancelled gate needs no timer; an escalation it started has run its course. */
  async gateDecided(tx: EntityManager, e: GateDecided): Promise<void> {
    await this.timers.disarm(tx, e);
    await this.escalations.complete(tx, e);
    rearmAfterCommit(tx);
  }
}
