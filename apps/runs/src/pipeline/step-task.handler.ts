import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CONSUMERS, type InboundMessage, type MessageHandler } from '@gatehouse/messaging';
import { parseOrNull, stepTaskOf } from './inbound-messages';
import { RecoveryService } from './recovery.service';
import { StepRunner } from './step-runner.service';
import type { PreparedCompile } from './steps/compile.step';

/** intentQ: one step of a parent run. The attempt is the message's delivery count. */
@Injectable()
export class StepTaskHandler implements MessageHandler<PreparedCompile | null> {
  readonly consumer = CONSUMERS.runsIntentQueue;

  constructor(
    private readonly runner: StepRunner,
    private readonly recovery: RecoveryService,
  ) {}

  prepare(msg: InboundMessage): Promise<PreparedCompile | null> {
    return this.runner.prepare(stepTaskOf(msg.json()));
  }

  handle(tx: EntityManager, msg: InboundMessage, prepared: PreparedCompile | null): Promise<void> {
    return this.runner.run(tx, stepTaskOf(msg.json()), msg.deliveryCount, prepared);
  }

  async onDeadLetter(tx: EntityManager, msg: InboundMessage, error: Error): Promise<void> {
    const task = parseOrNull(() => stepTaskOf(msg.json()));
    if (task) await this.recovery.stepExhausted(tx, task, msg.deliveryCount, error);
  }
}
