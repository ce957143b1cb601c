import type { Consumer, ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { DataSource, EntityManager } from 'typeorm';
import { isUnavailableDbError } from '@gatehouse/persistence';
import { assertSchemaName, withBufferedOutbox } from '../outbox/outbox-message';
import { redeliveryDelayMs } from './backoff';
import { Limiter } from './limiter';
import { InboundMessage, PoisonMessageError } from './inbound-message';
import { withoutCredentials } from './credential-headers';
import { claimInbox, claimInboxBatch } from './inbox-claims';
import { consumerStatusWarning } from './consumer-status';
import { settleWork } from '../fair-queue/work-queue';
import type { MessageHandler } from './message-handler';

export interface RunnerLogger {
  debug?(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ConsumerRunnerOptions {
  /** Transactions this consumer runs at once in this process. */
  concurrency: number;
  /**
   * Most deliveries committed together in one transaction when several are waiting (group commit);
   * 1 gives each delivery its own transaction. Default DEFAULT_BATCH_MAX.
   */
  batchMax?: number;
  /** Deliveries before the message is dead-lettered. */
  maxDeliveries: number;
  /**
   * Called after every commit with whether the transaction wrote outbox messages, e.g. to kick the
   * outbox relay only when there is something for it.
   */
  afterCommit?: (wroteOutbox: boolean) => void;
  /**
   * How long one delivery may keep the message to itself by heartbeats (`+WPI`) before the
   * server is let to redeliver it (default 5 minutes). Without heartbeats a handler slower than
   * ack_wait (a sandbox call in `prepare`) would be redelivered and worked on twice in parallel.
   */
  maxWorkingMs?: number;
  /** Called once per delivery with how it was settled and how long that took, for metrics. */
  observe?: (outcome: Outcome, seconds: number) => void;
}

export type Outcome = 'applied' | 'duplicate' | 'retry' | 'dead-lettered' | 'ignored';

/** How long one pull request waits on the server (see `start`). */
export const PULL_EXPIRES_MS = 5_000;

export const DEFAULT_BATCH_MAX = 32;

type Prepared<P> = { ok: true; value: P } | { ok: false; error: Error };

interface Delivery<P> {
  msg: JsMsg;
  inbound: InboundMessage;
  prepared: Prepared<P>;
}

/**
 * The exactly-once consumer of DESIGN section 6: pull, open a transaction, insert
 * (consumer, message id) into the inbox, apply the handler's effects, commit, then an awaited
 * double ack. A message already in the inbox is acknowledged without effects. Failures nak with
 * backoff; at the delivery limit the message is written to `dead_letters` and acknowledged.
 *
 * Deliveries that are already waiting when a transaction can start are committed together (up to
 * `batchMax`): one inbox INSERT for all of them, each new one's handler in arrival order, one
 * outbox INSERT for what the handlers wrote, one commit, then the acks. A lone delivery is never
 * held back to wait for others. If anything in a batch fails, the batch is rolled back and its
 * deliveries go one by one through the single-delivery path, which does the per-message retry and
 * dead-letter accounting.
 */
export class ConsumerRunner<P = void> {
  private readonly schema: string;
  private readonly batchMax: number;
  /** `prepare()` calls in progress: the consumer's concurrency, as before batches existed. */
  private readonly preparing: Limiter;
  private consumer?: Consumer;
  private messages?: ConsumerMessages;
  private inFlight = new Set<Promise<void>>();
  /** Delivered by the server, not yet given to a transaction. */
  private waiting: JsMsg[] = [];
  private dispatchQueued = false;
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
    this.batchMax = Math.max(1, Math.floor(options.batchMax ?? DEFAULT_BATCH_MAX));
    this.preparing = new Limiter(Math.max(1, Math.floor(options.concurrency)));
  }

  /** What the server holds for this consumer: not yet delivered, and delivered but not acknowledged. */
  async backlog(): Promise<{ pending: number; ackPending: number }> {
    if (!this.consumer) return { pending: 0, ackPending: 0 };
    const info = await this.consumer.info();
    return { pending: info.num_pending, ackPending: info.num_ack_pending };
  }

  get name(): string {
    return this.handler.consumer.durable;
  }

  async start(): Promise<void> {
    const { stream, durable } = this.handler.consumer;
    const consumer = await this.js.consumers.get(stream, durable);
    this.consumer = consumer;
    const ackWaitNs = (await consumer.info(true)).config.ack_wait;
    if (ackWaitNs) this.ackWaitMs = ackWaitNs / 1_000_000;
    // Short pulls: a pull request lives on the consumer's leader, and a client only notices that the
    // leader died (a NATS node lost) after missing two idle heartbeats of half the pull's `expires`.
    // With the library default (30 s) consumption stalled 44-50 s after a node was killed; with 5 s,
    // 10-12 s (measured on a three-node cluster, docs/reliability.md). Idle cost: one pull per 5 s.
    // Enough messages per pull to fill every transaction's batch.
    const maxMessages = Math.min(this.options.concurrency * this.batchMax, this.handler.consumer.maxAckPending);
    this.messages = await consumer.consume({ max_messages: Math.max(1, maxMessages), expires: PULL_EXPIRES_MS });
    this.loop = this.pump(this.messages);
    void this.watchStatus(this.messages);
  }

  /** Stops pulling, lets in-flight messages settle. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.messages?.close().catch(() => undefined);
    await this.loop?.catch(() => undefined);
    for (const msg of this.waiting.splice(0)) msg.nak();
    await Promise.allSettled([...this.inFlight]);
  }

  private async pump(messages: ConsumerMessages): Promise<void> {
    for await (const msg of messages) {
      if (this.stopping) {
        msg.nak();
        continue;
      }
      if (this.handler.accepts && !this.handler.accepts(msg.subject)) {
        void this.ignore(msg);
        continue;
      }
      this.waiting.push(msg);
      if (!this.dispatchQueued) {
        // setImmediate runs once the messages that arrived in the same read of the socket have all
        // been queued here, so they can share a transaction. It never waits for more to arrive.
        this.dispatchQueued = true;
        setImmediate(() => {
          this.dispatchQueued = false;
          this.dispatch();
        });
      }
    }
  }

  /** Logs what the client library reports about the pulls when it means messages are not coming. */
  private async watchStatus(messages: ConsumerMessages): Promise<void> {
    try {
      for await (const n of messages.status()) {
        const warning = consumerStatusWarning(n);
        if (warning && !this.stopping) this.logger.warn({ consumer: this.name, status: n }, warning);
      }
    } catch {
      // The iterator ends with the consumer; nothing to report.
    }
  }

  /** Starts a transaction for waiting deliveries while fewer than `concurrency` run. */
  private dispatch(): void {
    if (this.stopping) {
      for (const msg of this.waiting.splice(0)) msg.nak();
      return;
    }
    while (this.waiting.length > 0 && this.inFlight.size < this.options.concurrency) {
      const batch = this.waiting.splice(0, this.batchMax);
      const p = this.processBatch(batch).then(
        () => undefined,
        (err) => this.logger.error({ err, consumer: this.name }, 'message settlement failed'),
      );
      this.inFlight.add(p);
      void p.finally(() => {
        this.inFlight.delete(p);
        this.dispatch();
      });
    }
  }

  /** Processes one delivery to its settlement. Exposed for tests. */
  async process(msg: JsMsg): Promise<Outcome> {
    return (await this.processBatch([msg]))[0];
  }

  /** Processes deliveries to their settlement, in one transaction when there are several. */
  async processBatch(msgs: JsMsg[]): Promise<Outcome[]> {
    const started = performance.now();
    const stopHeartbeats = msgs.map((msg) => this.heartbeat(msg));
    try {
      const deliveries = await Promise.all(
        msgs.map(async (msg): Promise<Delivery<P>> => {
          const inbound = new InboundMessage(msg, this.handler.consumer.stream);
          return { msg, inbound, prepared: await this.prepare(inbound) };
        }),
      );
      const outcomes = new Map<Delivery<P>, Outcome>();
      const ready = deliveries.filter((d) => d.prepared.ok);
      if (ready.length > 1) {
        const committed = await this.commitBatch(ready);
        committed?.forEach((outcome, i) => outcomes.set(ready[i], outcome));
      }
      // Alone, failed in prepare, or in a batch that was rolled back: one transaction each, in turn,
      // so that no more than `concurrency` transactions run at once.
      for (const d of deliveries) if (!outcomes.has(d)) outcomes.set(d, await this.settle(d));
      const result = deliveries.map((d) => outcomes.get(d)!);
      const seconds = (performance.now() - started) / 1000;
      deliveries.forEach((d, i) => {
        this.options.observe?.(result[i], seconds);
        this.onSettled(d.msg, result[i]);
      });
      return result;
    } finally {
      for (const stop of stopHeartbeats) stop();
    }
  }

  /** Called once per delivery with how it was settled; for subclasses (tests) to observe. */
  protected onSettled(_msg: JsMsg, _outcome: Outcome): void {}

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

  private async prepare(inbound: InboundMessage): Promise<Prepared<P>> {
    try {
      const { prepare } = this.handler;
      if (!prepare) return { ok: true, value: undefined as P };
      // Calls to outside systems stay at `concurrency` at once, however many deliveries a batch holds.
      return { ok: true, value: await this.preparing.run(() => prepare.call(this.handler, inbound)) };
    } catch (err) {
      return { ok: false, error: err as Error };
    }
  }

  /** One delivery in its own transaction. */
  private async settle({ msg, inbound, prepared }: Delivery<P>): Promise<Outcome> {
    if (!prepared.ok) return this.fail(msg, inbound, prepared.error);
    let applied: boolean;
    let written = 0;
    try {
      applied = await this.ds.transaction(async (tx) => {
        await this.settleWork(tx, [inbound]);
        if (!(await claimInbox(tx, this.schema, this.name, inbound))) return false;
        ({ written } = await withBufferedOutbox(tx, () => this.handler.handle(tx, inbound, prepared.value)));
        return true;
      });
    } catch (err) {
      return this.fail(msg, inbound, err as Error);
    }
    this.options.afterCommit?.(written > 0);
    await this.ack(msg, inbound);
    return applied ? 'applied' : 'duplicate';
  }

  /**
   * Several deliveries in one transaction; undefined when it rolled back (nothing of it was
   * applied and nothing was acknowledged), for the caller to settle them one by one.
   */
  private async commitBatch(batch: Delivery<P>[]): Promise<Outcome[] | undefined> {
    let outcomes: Outcome[];
    let written = 0;
    try {
      outcomes = await this.ds.transaction(async (tx) => {
        const fresh = await claimInboxBatch(
          tx,
          this.schema,
          this.name,
          batch.map((d) => d.inbound),
        );
        await this.settleWork(
          tx,
          batch.map((d) => d.inbound),
        );
        // The batch's outbox rows are written together once every handler has run.
        const batchResult = await withBufferedOutbox(tx, async () => {
          const result: Outcome[] = [];
          for (const { inbound, prepared } of batch) {
            // The first delivery of a new id applies it; a second one in the same batch is a duplicate.
            if (!fresh.delete(inbound.msgId)) {
              result.push('duplicate');
              continue;
            }
            await this.handler.handle(tx, inbound, (prepared as { value: P }).value);
            result.push('applied');
          }
          return result;
        });
        written = batchResult.written;
        return batchResult.value;
      });
    } catch (err) {
      this.logger.warn(
        { err, consumer: this.name, messages: batch.length },
        'batch rolled back; its messages are settled one by one',
      );
      return undefined;
    }
    this.options.afterCommit?.(written > 0);
    await Promise.all(batch.map((d) => this.ack(d.msg, d.inbound)));
    return outcomes;
  }

  /**
   * A fair queue's message frees its window slot in the transaction that settles it, whether it is
   * applied now, was applied before (a redelivery) or is dead-lettered.
   */
  private async settleWork(tx: EntityManager, messages: InboundMessage[]): Promise<void> {
    if (this.handler.consumer.fairQueue)
      await settleWork(
        tx,
        this.schema,
        messages.map((m) => m.msgId),
      );
  }

  /** A message the handler never acts on: acknowledged, nothing written (a lost ack redelivers it, harmlessly). */
  private async ignore(msg: JsMsg): Promise<void> {
    try {
      await msg.ackAck();
      this.options.observe?.('ignored', 0);
    } catch (err) {
      this.logger.warn({ err, consumer: this.name, subject: msg.subject }, 'ack of an ignored message not confirmed');
    }
  }

  /** After commit a lost ack is harmless: the redelivery finds the inbox row and does nothing. */
  private async ack(msg: JsMsg, m: InboundMessage): Promise<void> {
    try {
      await msg.ackAck();
    } catch (err) {
      this.logger.warn({ err, consumer: this.name, msgId: m.msgId }, 'ack not confirmed; a redelivery will be a no-op');
    }
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
    let written = 0;
    try {
      await this.ds.transaction(async (tx) => {
        await this.settleWork(tx, [m]);
        // The inbox row makes a later redelivery of this message a no-op.
        if (!(await claimInbox(tx, this.schema, this.name, m))) return;
        await tx.query(
          `INSERT INTO ${this.schema}.dead_letters
             (consumer, msg_id, subject, stream_seq, deliveries, payload, headers, error)
           VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8) ON CONFLICT (consumer, msg_id) DO NOTHING`,
          [
            this.name,
            m.msgId,
            m.subject,
            m.streamSeq,
            m.deliveryCount,
            m.raw,
            // A bus reply carries its credential in a header: a dead letter keeps none.
            JSON.stringify(withoutCredentials(m.headers)),
            String(error?.stack ?? error).slice(0, 4000),
          ],
        );
        ({ written } = await withBufferedOutbox(tx, async () => this.handler.onDeadLetter?.(tx, m, error)));
      });
      this.options.afterCommit?.(written > 0);
      this.logger.error(
        { err: error, consumer: this.name, msgId: m.msgId, deliveries: m.deliveryCount },
        'message dead-lettered',
      );
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
