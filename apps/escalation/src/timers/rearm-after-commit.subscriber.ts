import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, type EntitySubscriberInterface, type TransactionCommitEvent } from 'typeorm';
import { DeadlineSchedulerService } from './deadline-scheduler.service';

const REARM = 'escalation.rearmAfterCommit';

/** Asks for the scheduler to re-read the earliest deadline once `tx` has committed. */
export function rearmAfterCommit(tx: EntityManager): void {
  if (!tx.queryRunner) throw new Error('rearmAfterCommit needs a transaction');
  tx.queryRunner.data[REARM] = true;
}

/**
 * Re-arms the scheduler after a transaction that armed or disarmed a timer has committed: before
 * the commit the scheduler's query would not see the new row, and a rollback must change nothing.
 */
@Injectable()
export class RearmAfterCommitSubscriber implements EntitySubscriberInterface {
  constructor(
    ds: DataSource,
    private readonly scheduler: DeadlineSchedulerService,
  ) {
    ds.subscribers.push(this);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    if (event.queryRunner.data?.[REARM]) this.scheduler.rearm();
  }
}
