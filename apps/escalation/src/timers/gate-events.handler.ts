import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CONSUMERS, type InboundMessage, type MessageHandler } from '@gatehouse/messaging';
import {
  GATE_CANCELLED_PREFIX,
  GATE_DECIDED_PREFIX,
  GATE_OPENED_PREFIX,
  parseGateCancelled,
  parseGateDecided,
  parseGateOpened,
} from './gate-event.parser';
import { TimersService } from './timers.service';

/**
 * evt.gates.>: a gate opened arms its timer; a gate decided or cancelled disarms it, and a gate
 * decided by `timer` (timed out while PENDING) records its escalation. Other gate events are ignored.
 */
@Injectable()
export class GateEventsHandler implements MessageHandler {
  readonly consumer = CONSUMERS.escalationGateEvents;

  constructor(private readonly timers: TimersService) {}

  async handle(tx: EntityManager, msg: InboundMessage): Promise<void> {
    if (msg.subject.startsWith(GATE_OPENED_PREFIX)) {
      await this.timers.gateOpened(tx, parseGateOpened(msg.subject, msg.json()));
    } else if (msg.subject.startsWith(GATE_DECIDED_PREFIX)) {
      await this.timers.gateDecided(tx, parseGateDecided(msg.subject, msg.json()));
    } else if (msg.subject.startsWith(GATE_CANCELLED_PREFIX)) {
      await this.timers.gateDecided(tx, parseGateCancelled(msg.subject, msg.json()));
    }
  }
}
