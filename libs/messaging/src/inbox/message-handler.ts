import type { EntityManager } from 'typeorm';
import type { ConsumerDefinition } from '../jetstream/definitions';
import type { InboundMessage } from './inbound-message';

/**
 * A durable consumer's handler. `prepare` runs outside any transaction (slow calls such as a
 * sandbox); `handle` runs inside the transaction that also records the message in the inbox,
 * so its effects happen exactly once. Throwing from either retries with backoff.
 */
export interface MessageHandler<P = void> {
  readonly consumer: ConsumerDefinition;
  /**
   * Transactions this consumer runs at once in a process, when not CONSUMER_CONCURRENCY. 1 applies
   * the messages in the stream's order (batches still group them), for handlers that keep an order.
   */
  readonly concurrency?: number;
  /**
   * False for a subject the handler never acts on (its filter is wider than its interest: nats-server
   * 2.9 takes one filter per consumer). Such a message is acknowledged at once, without a transaction
   * or an inbox row: having no effect, it cannot have one twice.
   */
  accepts?(subject: string): boolean;
  prepare?(msg: InboundMessage): Promise<P>;
  handle(tx: EntityManager, msg: InboundMessage, prepared: P): Promise<void>;
  /** Runs in the dead-letter transaction, e.g. to fail the run the message belonged to. */
  onDeadLetter?(tx: EntityManager, msg: InboundMessage, error: Error): Promise<void>;
  /** Called after every commit of this consumer's transactions, e.g. to wake a fair dispatcher. */
  afterCommit?(): void;
}
