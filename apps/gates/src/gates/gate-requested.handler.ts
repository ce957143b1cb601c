import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CONSUMERS, type InboundMessage, type MessageHandler } from '@gatehouse/messaging';
import { GateLifecycleService } from './gate-lifecycle.service';
import { parseGateRequested } from './inbound-events';

/** runs -> gates: open the gate (once, however often the request is delivered or repeated). */
@Injectable()
export class GateRequestedHandler implements MessageHandler {
  readonly consumer = CONSUMERS.gatesGateRequested;

  constructor(private readonly lifecycle: GateLifecycleService) {}

  async handle(tx: EntityManager, msg: InboundMessage): Promise<void> {
    await this.lifecycle.open(tx, parseGateRequested(msg.json()));
  }
}
