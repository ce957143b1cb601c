import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Seconds buckets for work that should take milliseconds and must show when it takes seconds. */
export const LATENCY_BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * One process's Prometheus registry, labelled with its service. Per application rather than
 * prom-client's global registry, so that two instances in one process (tests) do not collide.
 * Process metrics (CPU, memory, event-loop lag, GC) come from prom-client's defaults.
 */
export class Metrics {
  readonly registry = new Registry();

  /** Deliveries settled by the exactly-once consumers, by how they were settled. */
  readonly consumerMessages: Counter<'consumer' | 'outcome'>;
  /** From a delivery's hand-over to a transaction to its settlement (commit and ack included). */
  readonly consumerSettleSeconds: Histogram<'consumer'>;
  /** Outbox rows published to JetStream by the relay. */
  readonly outboxPublished: Counter;

  constructor(readonly service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
    this.consumerMessages = new Counter({
      name: 'gatehouse_consumer_messages_total',
      help: 'JetStream deliveries settled, by consumer and outcome (applied, duplicate, retry, dead-lettered, ignored)',
      labelNames: ['consumer', 'outcome'],
      registers: [this.registry],
    });
    this.consumerSettleSeconds = new Histogram({
      name: 'gatehouse_consumer_settle_seconds',
      help: 'Time from a delivery being taken up to its settlement (transaction and ack)',
      labelNames: ['consumer'],
      buckets: LATENCY_BUCKETS,
      registers: [this.registry],
    });
    this.outboxPublished = new Counter({
      name: 'gatehouse_outbox_published_total',
      help: 'Outbox messages published to JetStream and acknowledged by the stream',
      registers: [this.registry],
    });
  }

  /**
   * A labelled gauge read afresh at every scrape (from Postgres or the NATS server). When the read
   * fails, the gauge reports no series rather than the last values, which would look current.
   */
  snapshotGauge<L extends string>(options: {
    name: string;
    help: string;
    labelNames: L[];
    read: () => Promise<Array<{ labels: Record<L, string>; value: number }>>;
  }): void {
    const { read, ...definition } = options;
    new Gauge<L>({
      ...definition,
      registers: [this.registry],
      async collect() {
        const samples = await read().catch(() => undefined);
        this.reset();
        for (const { labels, value } of samples ?? []) this.set(labels, value);
      },
    });
  }

  /** The text exposition format, for a scrape. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
