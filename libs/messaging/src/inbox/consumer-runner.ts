import type { ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { DataSource, EntityManager } from 'typeorm';
import { isUnavailableDbError } from '@gatehouse/persistence';
import { assertSchemaName } from '../outbox/outbox-message';
import { redeliveryDelayMs } from './backoff';
import { InboundMessage, PoisonMessageError } from './inbound-message';
import type { MessageHandler } from './message-handler';

export interface RunnerLogger {
  debug?(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ConsumerRunnerOptions {
  /** Messages worked on at once by this process. */
  concurrency: number;
  /** Deliveries before the message is dead-lettered. */
  maxDeliveries: number;
  /** Called after every commit, e.g. to kick the outbox relay. */
  afterCommit?: () => void;
  /**
   * How long one delivery may keep the message to itself by heartbeats (`+WPI`) before the
   * server is let to redeliver it (default 5 minutes). Without heartbeats a handler slower than
   * ack_wait (a sandbox call in `prepare`) would be redelivered and worked on twice in parallel.
   */
  maxWorkingMs?: number;
}

export type Outcome = 'applied' | 'duplicate' | 'retry' | 'dead-lettered';

/** How long one pull request waits on the server (see `start`). */
export const PULL_EXPIRES_MS = 5_000;

/**
 * The exactly-once consumer of DESIGN section 6: pull, open a transaction, insert
 * (consumer, message id) into the inbox, apply the handler's effects, commit, then an awaited
 * double ack. A message already in the inbox is acknowledged without effects. Failures nak with
 * backoff; at the delivery limit the message is written to `dead_letters` and acknowledged.
 */
export class ConsumerRunner<P = void> {
  private readonly schema: string;
  private messages?: ConsumerMessages;
  private inFlight = new Set<Promise<void>>();
  /** The server's ack_wait of the consumer, read at start; the definition's until then. */
  private ackWaitMs: number;
  private loop?: Promise<void>;
  private stopping = false;

  constructor(
    private readonly ds: DataSource,
    schema: string,
    private readonly js: JetStreamClient,
    private readonly handler: MessageHandler<P>,
    private readonly options: ConsumerRunnerOptions,
    private readonly logger: RunnerLogger,
  ) {
    this.schema = assertSchemaName(schema);
    this.ackWaitMs = handler.consumer.ackWaitS * 1000;
  }

  get name(): string {
    return this.handler.consumer.durable;
  }

  async start(): Promise<void> {
    const { stream, durable } = this.handler.consumer;
    const consumer = await this.js.consumers.get(stream, durable);
    const ackWaitNs = (await consumer.info(true)).config.ack_wait;
    if (ackWaitNs) this.ackWaitMs = ackWaitNs / 1_000_000;
    // Short pulls: a pull request lives on the consumer's leader, and a client only notices that the
    // leader died (a NATS node lost) after missing two idle heartbeats of half the pull's `expires`.
    // With the library default (30 s) consumption stalled 44-50 s after a node was killed; with 5 s,
    // 10-12 s (measured on a three-node cluster, docs/reliability.md). Idle cost: one pull per 5 s.
    this.messages = await consumer.consume({ max_messages: this.options.concurrency, expires: PULL_EXPIRES_MS });
    this.loop = this.pump(this.messages);
  }

  /** Stops pulling, lets in-flight messages settle. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.messages?.close().catch(() => undefined);
    await this.loop?.catch(() => undefined);
    await Promise.allSettled([...this.inFlight]);
  }

  private async pump(messages: ConsumerMessages): Promise<void> {
    for await (const msg of messages) {
      if (this.stopping) {
        msg.nak();
        continue;
      }
      while (this.inFlight.size >= this.options.concurrency) await Promise.race(this.inFlight);
      const p = this.process(msg).then(
        () => undefined,
        (err) => this.logger.error({ err, consumer: this.name }, 'message settlement failed'),
      );
      this.inFlight.add(p);
      void p.finally(() => this.inFlight.delete(p));
    }
  }

  /** Processes one delivery to its settlement. Exposed for tests. */
  async process(msg: JsMsg): Promise<Outcome> {
    const stopHeartbeat = this.heartbeat(msg);
    try {
      return await this.settle(msg);
    } finally {
      stopHeartbeat();
    }
  }

  /** Tells the server the delivery is still being worked on, a few times per ack_wait. */
  private heartbeat(msg: JsMsg): () => void {
    const every = Math.max(100, Math.floor(this.ackWaitMs / 3));
    const until = Date.now() + (this.options.maxWorkingMs ?? 5 * 60_000);
    const timer = setInterval(() => {
      if (Date.now() > until) return clearInterval(timer);
      try {
        msg.working();
      } catch {
        // Disconnected: the server redelivers after ack_wait, which the inbox makes harmless.
      }
    }, every);
    timer.unref();
    return () => clearInterval(timer);
  }

  private async settle(msg: JsMsg): Promise<Outcome> {
    const inbound = new InboundMessage(msg, this.handler.consumer.stream);
    let applied: boolean;
    try {
      const prepared = this.handler.prepare ? await this.handler.prepare(inbound) : (undefined as P);
      applied = await this.ds.transaction(async (tx) => {
        if (!(await this.claimInbox(tx, inbound))) return false;
        await this.handler.handle(tx, inbound, prepared);
        return true;
      });
    } catch (err) {
      return this.fail(msg, inbound, err as Error);
    }
    this.options.afterCommit?.();
    await this.ack(msg, inbound);
    return applied ? 'applied' : 'duplicate';
  }

  /** After commit a lost ack is harmless: the redelivery finds the inbox row and does nothing. */
  private async ack(msg: JsMsg, m: InboundMessage): Promise<void> {
    try {
      await msg.ackAck();
    } catch (err) {
      this.logger.warn({ err, consumer: this.name, msgId: m.msgId }, 'ack not confirmed; a redelivery will be a no-op');
    }
  }

  private async claimInbox(tx: EntityManager, m: InboundMessage): Promise<boolean> {
    const rows: unknown[] = await tx.query(
      `INSERT INTO ${this.schema}.inbox (consumer, msg_id, subject) VALUES ($1, $2, $3)
       ON CONFLICT (consumer, msg_id) DO NOTHING RETURNING 1`,
      [this.name, m.msgId, m.subject],
    );
    return rows.length === 1;
  }

  private async fail(msg: JsMsg, m: InboundMessage, error: Error): Promise<Outcome> {
    const poison = error instanceof PoisonMessageError;
    // Postgres down is not the message's fault: retry it without using up its deliveries, or an
    // outage longer than the backoff would dead-letter messages that succeed once it is back.
    if (!poison && (m.deliveryCount < this.options.maxDeliveries || isUnavailableDbError(error))) {
      const delay = redeliveryDelayMs(m.deliveryCount);
      this.logger.warn(
        { err: error, consumer: this.name, msgId: m.msgId, delivery: m.deliveryCount, delayMs: delay },
        'handler failed; message will be redelivered',
      );
      msg.nak(delay);
      return 'retry';
    }
    try {
      await this.ds.transaction(async (tx) => {
        // The inbox row makes a later redelivery of this message a no-op.
        if (!(await this.claimInbox(tx, m))) return;
        await tx.query(
          `INSERT INTO ${this.schema}.dead_letters
             (consumer, msg_id, subject, stream_seq, deliveries, payload, headers, error)
           VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8) ON CONFLICT (consumer, msg_id) DO NOTHING`,
          [this.name, m.msgId, m.subject, m.streamSeq, m.deliveryCount, m.raw, JSON.stringify(m.headers), String(error?.stack ?? error).slice(0, 4000)],
        );
        await this.handler.onDeadLetter?.(tx, m, error);
      });
      this.options.afterCommit?.();
      this.logger.error({ err: error, consumer: this.name, msgId: m.msgId, deliveries: m.deliveryCount }, 'message dead-lettered');
    } catch (dlqErr) {
      // Could not even record it: keep it on the server and try again later.
      this.logger.error({ err: dlqErr, consumer: this.name, msgId: m.msgId }, 'dead-letter write failed; message kept');
      msg.nak(redeliveryDelayMs(m.deliveryCount));
      return 'retry';
    }
    await this.ack(msg, m);
    return 'dead-lettered';
  }
}
