import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { OutboxService, type OutboxMessage } from '@gatehouse/messaging';
import { runUpdatedMessage } from './run-messages';
import type { RunRow } from './run-row';
import { RunsRepository, type RunChanges } from './runs.repository';

/**
 * Every change of a run's status snapshot goes through here: the row (version + 1), its
 * `run-updated:<wid>:<version>` event and any follow-up messages, in the caller's transaction.
 */
@Injectable()
export class RunWriter {
  constructor(
    private readonly runs: RunsRepository,
    private readonly outbox: OutboxService,
  ) {}

  async transition(
    tx: EntityManager,
    run: RunRow,
    changes: RunChanges,
    followUps: (next: RunRow) => OutboxMessage[] = () => [],
  ): Promise<RunRow> {
    const next = await this.runs.update(tx, run.id, changes, true);
    await this.outbox.write(tx, runUpdatedMessage(next), ...followUps(next));
    return next;
  }

  /** Progress that is not part of the snapshot (task counters): no version, no event. */
  async progress(tx: EntityManager, run: RunRow, changes: RunChanges, messages: OutboxMessage[] = []): Promise<RunRow> {
    const next = await this.runs.update(tx, run.id, changes, false);
    if (messages.length > 0) await this.outbox.write(tx, ...messages);
    return next;
  }
}
