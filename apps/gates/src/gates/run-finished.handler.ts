import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CONSUMERS, type InboundMessage, type MessageHandler } from '@gatehouse/messaging';
import { GateLifecycleService } from './gate-lifecycle.service';
import { parseRunFinished } from './inbound-events';

/** runs -> gates: a run that reached a terminal status cancels its PENDING gates. */
@Injectable()
export class RunFinishedHandler implements MessageHandler {
  readonly consumer = CONSUMERS.gatesRunFinished;

  constructor(private readonly lifecycle: GateLifecycleService) {}

  async handle(tx: EntityManager, msg: InboundMessage): Promise<void> {
    const ev = parseRunFinished(msg.json());
    await this.lifecycle.runUpdated(tx, ev.workflowID, ev.status);
  }
}
