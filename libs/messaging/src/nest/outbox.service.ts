import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { JetStreamClient } from '@nats-io/jetstream';
import { DataSource, type EntityManager } from 'typeorm';
import { inTransaction } from '@gatehouse/persistence';
import { writeOutbox, type OutboxMessage } from '../outbox/outbox-message';
import { OutboxRelay } from '../outbox/outbox-relay';
import { Metrics } from '../metrics/metrics';
import { JETSTREAM, MESSAGING_OPTIONS, type MessagingOptions } from './tokens';

/**
 * A service's transactional outbox: `transaction()` commits facts and the messages announcing
 * them together, then wakes the relay that publishes them.
 */
@Injectable()
export class OutboxService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly relay: OutboxRelay;
  private readonly logger = new Logger('OutboxRelay');

  constructor(
    private readonly ds: DataSource,
    @Inject(JETSTREAM) js: JetStreamClient,
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions,
    metrics: Metrics,
  ) {
    const log = {
      warn: (obj: object, msg: string) => this.logger.warn({ ...obj, msg }),
      error: (obj: object, msg: string) => this.logger.error({ ...obj, msg }),
    };
    this.relay = new OutboxRelay(ds, options.schema, js, log, {
      onPublished: (count) => metrics.outboxPublished.inc(count),
    });
  }

  onApplicationBootstrap(): void {
    this.relay.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay.stop();
  }

  /** Writes messages in the caller's transaction. */
  write(tx: EntityManager, ...messages: OutboxMessage[]): Promise<void> {
    return writeOutbox(tx, this.options.schema, messages);
  }

  /** Runs `work` in a transaction and publishes what it wrote to the outbox after commit. */
  async transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    const result = await inTransaction(this.ds, work);
    this.relay.kick();
    return result;
  }

  kick(): void {
    this.relay.kick();
  }
}
