import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { StepId } from '@gatehouse/contracts';
import { CONSUMERS, type InboundMessage, type MessageHandler } from '@gatehouse/messaging';
import type { SandboxResult } from '../adapters/sandbox';
import { FairQueues } from '../queues/fair-queues.service';
import { ChildTaskService } from './child-task.service';
import { childTaskOf, parseOrNull } from './inbound-messages';
import { RecoveryService } from './recovery.service';

/** sbxQ: one child task of ExecuteST; the sandbox runs in prepare(), outside the transaction. */
@Injectable()
export class ChildTaskHandler implements MessageHandler<SandboxResult | null> {
  readonly consumer = CONSUMERS.runsSandboxQueue;

  constructor(
    private readonly children: ChildTaskService,
    private readonly recovery: RecoveryService,
    private readonly queues: FairQueues,
  ) {}

  prepare(msg: InboundMessage): Promise<SandboxResult | null> {
    return this.children.prepare(childTaskOf(msg.json()));
  }

  handle(tx: EntityManager, msg: InboundMessage, result: SandboxResult | null): Promise<void> {
    return this.children.complete(tx, childTaskOf(msg.json()), msg.deliveryCount, result);
  }

  /** A settled child task frees an sbxQ slot and may have queued the next one. */
  afterCommit(): void {
    this.queues.kick('sbxQ');
  }

  async onDeadLetter(tx: EntityManager, msg: InboundMessage, error: Error): Promise<void> {
    const task = parseOrNull(() => childTaskOf(msg.json()));
    if (task) {
      await this.recovery.stepExhausted(
        tx,
        { runId: task.runId, stepId: StepId.EXECUTE, taskKey: task.taskKey },
        msg.deliveryCount,
        error,
      );
    }
  }
}
