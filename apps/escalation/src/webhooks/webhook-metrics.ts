import { Injectable } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';
import { LATENCY_BUCKETS, Metrics } from '@gatehouse/messaging';
import type { AttemptOutcome } from '@gatehouse/contracts';

/** Webhook attempts by outcome (delivered, retry, dead, gone) and how long receivers took. */
@Injectable()
export class WebhookMetrics {
  private readonly attempts: Counter<'outcome'>;
  private readonly latency: Histogram<'outcome'>;

  constructor(metrics: Metrics) {
    this.attempts = new Counter({
      name: 'gatehouse_webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome: DELIVERED (2xx), RETRY (failed, retry scheduled), DEAD (dead-lettered), GONE (410, endpoint disabled)',
      labelNames: ['outcome'],
      registers: [metrics.registry],
    });
    this.latency = new Histogram({
      name: 'gatehouse_webhook_attempt_seconds',
      help: 'Time of one webhook attempt, from connect to answer (or failure)',
      labelNames: ['outcome'],
      buckets: [...LATENCY_BUCKETS, 30],
      registers: [metrics.registry],
    });
  }

  attempted(outcome: AttemptOutcome, latencyMs: number): void {
    this.attempts.inc({ outcome });
    this.latency.observe({ outcome }, latencyMs / 1000);
  }
}
