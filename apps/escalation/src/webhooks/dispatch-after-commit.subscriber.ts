import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, type EntitySubscriberInterface, type TransactionCommitEvent } from 'typeorm';
import { WebhookDispatcherService } from './webhook-dispatcher.service';

const KICK = 'escalation.webhookDispatchAfterCommit';

/** Asks the dispatcher to look for due deliveries once `tx` (which queued some) has committed. */
export function dispatchAfterCommit(tx: EntityManager): void {
  if (!tx.queryRunner) throw new Error('dispatchAfterCommit needs a transaction');
  tx.queryRunner.data[KICK] = true;
}

/** Before the commit the dispatcher would not see the new rows; after a rollback there are none. */
@Injectable()
export class DispatchAfterCommitSubscriber implements EntitySubscriberInterface {
  constructor(
    ds: DataSource,
    private readonly dispatcher: WebhookDispatcherService,
  ) {
    ds.subscribers.push(this);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    if (event.queryRunner.data?.[KICK]) {
      event.queryRunner.data[KICK] = false;
      this.dispatcher.kick();
    }
  }
}
