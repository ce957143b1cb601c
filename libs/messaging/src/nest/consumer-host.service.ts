import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { JetStreamClient } from '@nats-io/jetstream';
import { DataSource } from 'typeorm';
import type { CommonEnv } from '@gatehouse/contracts';
import { ConsumerRunner } from '../inbox/consumer-runner';
import { Metrics } from '../metrics/metrics';
import type { MessageHandler } from '../inbox/message-handler';
import { OutboxService } from './outbox.service';
import { JETSTREAM, MESSAGING_OPTIONS, type MessagingOptions } from './tokens';

/**
 * Runs the durable consumers a service registers. Handlers register in their module's
 * constructor or onModuleInit; pulling starts once the whole application is up.
 */
@Injectable()
export class ConsumerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly handlers: MessageHandler<unknown>[] = [];
  private readonly runners: ConsumerRunner<unknown>[] = [];
  private readonly logger = new Logger('ConsumerHost');
  private allStarted = false;

  constructor(
    private readonly ds: DataSource,
    @Inject(JETSTREAM) private readonly js: JetStreamClient,
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions,
    private readonly config: ConfigService<CommonEnv, true>,
    private readonly outbox: OutboxService,
    private readonly metrics: Metrics,
  ) {
    metrics.snapshotGauge({
      name: 'gatehouse_consumer_backlog_messages',
      help:
        'Messages the server holds for a durable consumer: pending (not yet delivered) and ack_pending ' +
        '(delivered, not yet acknowledged). The same for every replica: aggregate with max, not sum.',
      labelNames: ['consumer', 'state'],
      read: async () =>
        (
          await Promise.all(
            this.runners.map(async (runner) => {
              const { pending, ackPending } = await runner.backlog();
              return [
                { labels: { consumer: runner.name, state: 'pending' }, value: pending },
                { labels: { consumer: runner.name, state: 'ack_pending' }, value: ackPending },
              ];
            }),
          )
        ).flat(),
    });
  }

  register<P>(handler: MessageHandler<P>): void {
    this.handlers.push(handler as MessageHandler<unknown>);
  }

  /** Every registered consumer is pulling (readiness). */
  get started(): boolean {
    return this.allStarted;
  }

  get consumerNames(): string[] {
    return this.runners.map((r) => r.name);
  }

  async onApplicationBootstrap(): Promise<void> {
    const log = {
      warn: (obj: object, msg: string) => this.logger.warn({ ...obj, msg }),
      error: (obj: object, msg: string) => this.logger.error({ ...obj, msg }),
    };
    for (const handler of this.handlers) {
      const runner = new ConsumerRunner(
        this.ds,
        this.options.schema,
        this.js,
        handler,
        {
          concurrency: handler.concurrency ?? this.config.get('CONSUMER_CONCURRENCY', { infer: true }),
          batchMax: this.config.get('CONSUMER_BATCH_MAX', { infer: true }),
          maxDeliveries: this.config.get('MAX_DELIVERIES', { infer: true }),
          // Wake the relay only after a commit that gave it messages.
          afterCommit: (wroteOutbox) => {
            if (wroteOutbox) this.outbox.kick();
            handler.afterCommit?.();
          },
          observe: (outcome, seconds) => {
            this.metrics.consumerMessages.inc({ consumer: handler.consumer.durable, outcome });
            this.metrics.consumerSettleSeconds.observe({ consumer: handler.consumer.durable }, seconds);
          },
        },
        log,
      );
      await runner.start();
      this.runners.push(runner);
    }
    this.allStarted = true;
  }

  /**
   * Stops pulling and lets in-flight messages settle, for at most 80% of SHUTDOWN_GRACE_MS (the rest
   * is for closing connections). A message still unsettled then is left to the server, which
   * redelivers it to another replica after ack_wait; its inbox row makes that harmless.
   */
  async beforeApplicationShutdown(): Promise<void> {
    const budgetMs = Math.floor(this.config.get('SHUTDOWN_GRACE_MS', { infer: true }) * 0.8);
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const settled = Promise.all(this.runners.map((r) => r.stop())).then(() => true);
    const expired = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), budgetMs);
    });
    const inTime = await Promise.race([settled, expired]).finally(() => clearTimeout(timer));
    const ms = Date.now() - started;
    if (inTime) this.logger.log({ ms, msg: 'consumers drained: in-flight messages settled' });
    else this.logger.warn({ ms, msg: 'drain budget spent; unsettled messages will be redelivered' });
  }
}
