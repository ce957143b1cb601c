import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CONSUMERS, type InboundMessage, type MessageHandler } from '@gatehouse/messaging';
import { GateLifecycleService } from './gate-lifecycle.service';
import { parseDeadlinePassed } from './inbound-events';

/** escalation -> gates: a deadline passed; a gate still PENDING times out, any other is left alone. */
@Injectable()
export class DeadlinePassedHandler implements MessageHandler {
  readonly consumer = CONSUMERS.gatesDeadlinePassed;

  constructor(private readonly lifecycle: GateLifecycleService) {}

  async handle(tx: EntityManager, msg: InboundMessage): Promise<void> {
    await this.lifecycle.timeOut(tx, parseDeadlinePassed(msg.json()));
  }
}
