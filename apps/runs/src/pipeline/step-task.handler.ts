import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CONSUMERS, type InboundMessage, type MessageHandler } from '@gatehouse/messaging';
import { FairQueues } from '../queues/fair-queues.service';
import { parseOrNull, stepTaskOf } from './inbound-messages';
import { RecoveryService } from './recovery.service';
import { StepRunner, failedStepOf } from './step-runner.service';
import type { PreparedCompile } from './steps/compile.step';

/**
 * intentQ: a step of a parent run, and the local steps that follow it. The attempt is the
 * message's delivery count.
 */
@Injectable()
export class StepTaskHandler implements MessageHandler<PreparedCompile | null> {
  readonly consumer = CONSUMERS.runsIntentQueue;

  constructor(
    private readonly runner: StepRunner,
    private readonly recovery: RecoveryService,
    private readonly queues: FairQueues,
  ) {}

  prepare(msg: InboundMessage): Promise<PreparedCompile | null> {
    return this.runner.prepare(stepTaskOf(msg.json()));
  }

  handle(tx: EntityManager, msg: InboundMessage, prepared: PreparedCompile | null): Promise<void> {
    return this.runner.run(tx, stepTaskOf(msg.json()), msg.deliveryCount, prepared);
  }

  /** A settled step frees an intentQ slot; ExecuteST's fan-out queues child tasks. */
  afterCommit(): void {
    this.queues.kick('intentQ', 'sbxQ');
  }

  async onDeadLetter(tx: EntityManager, msg: InboundMessage, error: Error): Promise<void> {
    const task = parseOrNull(() => stepTaskOf(msg.json()));
    if (!task) return;
    // The step that failed, which may be one that followed the message's step in the same delivery.
    const stepId = failedStepOf(error) ?? task.stepId;
    await this.recovery.stepExhausted(tx, { runId: task.runId, stepId }, msg.deliveryCount, error);
  }
}
