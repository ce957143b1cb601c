import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { isTerminalRunStatus } from '@gatehouse/contracts';
import type { OutboxMessage } from '@gatehouse/messaging';
import { FairQueues } from '../queues/fair-queues.service';
import { runFinishedMessage, runUpdatedMessage } from './run-messages';
import type { RunRow } from './run-row';
import { RunsRepository, type RunChanges } from './runs.repository';

/**
 * Every change of a run goes through here, in the caller's transaction. A change of the status
 * snapshot bumps `version` and writes `run-updated:<wid>:<version>`; the terminal snapshot is also
 * written as `run-finished:<wid>`. Follow-up messages are built from the updated row; the caller
 * kicks the fair queues after commit (handlers do it in `afterCommit`).
 */
@Injectable()
export class RunWriter {
  constructor(
    private readonly runs: RunsRepository,
    private readonly queues: FairQueues,
  ) {}

  async change(
    tx: EntityManager,
    run: RunRow,
    changes: RunChanges,
    snapshot: boolean,
    followUps: (next: RunRow) => OutboxMessage[] = () => [],
  ): Promise<RunRow> {
    const next = await this.runs.update(tx, run.id, changes, snapshot);
    const announced: OutboxMessage[] = [];
    if (snapshot) {
      announced.push(runUpdatedMessage(next));
      if (isTerminalRunStatus(next.status) && !isTerminalRunStatus(run.status))
        announced.push(runFinishedMessage(next));
    }
    const messages = [...announced, ...followUps(next)];
    // Step and child-task messages wait for their fair share; events go to the outbox.
    if (messages.length > 0) await this.queues.write(tx, messages);
    return next;
  }

  /** A change of the status snapshot. */
  transition(
    tx: EntityManager,
    run: RunRow,
    changes: RunChanges,
    followUps?: (next: RunRow) => OutboxMessage[],
  ): Promise<RunRow> {
    return this.change(tx, run, changes, true, followUps);
  }

  /** Progress that is not part of the snapshot (task counters): no version, no event. */
  progress(tx: EntityManager, run: RunRow, changes: RunChanges, messages: OutboxMessage[] = []): Promise<RunRow> {
    return this.change(tx, run, changes, false, () => messages);
  }
}
