import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CONSUMERS, type InboundMessage, type MessageHandler } from '@gatehouse/messaging';
import { gateDecidedOf, parseOrNull } from './inbound-messages';
import { FairQueues } from '../queues/fair-queues.service';
import { PlanGateService } from './plan-gate.service';
import { RecoveryService } from './recovery.service';

/** evt.gates.gate-decided.>: a gate left PENDING; resume or end the run waiting on it. */
@Injectable()
export class GateDecidedHandler implements MessageHandler {
  readonly consumer = CONSUMERS.runsGateDecided;

  constructor(
    private readonly planGate: PlanGateService,
    private readonly recovery: RecoveryService,
    private readonly queues: FairQueues,
  ) {}

  handle(tx: EntityManager, msg: InboundMessage): Promise<void> {
    return this.planGate.decided(tx, gateDecidedOf(msg.json()));
  }

  /** An approval queues the run's next step on intentQ. */
  afterCommit(): void {
    this.queues.kick('intentQ');
  }

  async onDeadLetter(tx: EntityManager, msg: InboundMessage, error: Error): Promise<void> {
    const event = parseOrNull(() => gateDecidedOf(msg.json()));
    if (event) await this.recovery.decisionExhausted(tx, event.workflowId, event.gateKey, msg.deliveryCount, error);
  }
}
