import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DataSource } from 'typeorm';
import { inTransaction } from '@gatehouse/persistence';
import { AttemptOutcome } from '@gatehouse/contracts';
import { WakeLoop, type WakePassResult } from '@gatehouse/messaging';
import type { EscalationEnv } from '../config/escalation.env';
import { decideOutcome, type RetryPolicy } from './delivery-outcome';
import { parseRetrySchedule } from './retry-schedule';
import { SecretBox } from './secret-box';
import { WebhookDeliveriesRepository, type ClaimedDelivery } from './webhook-deliveries.repository';
import { WebhookEndpointsRepository } from './webhook-endpoints.repository';
import { WebhookMetrics } from './webhook-metrics';
import { sendWebhook, type SendResult } from './webhook-sender';
import { signedHeaders } from './webhook-signature';

/** A lease outlives the attempt by this much before another replica may take the delivery over. */
const LEASE_MARGIN_MS = 30_000;
const RETRY_AFTER_ERROR_MS = 1000;

/**
 * Sends the queued deliveries: up to WEBHOOK_CONCURRENCY attempts at once across endpoints, each
 * endpoint and run in order (see WebhookDeliveriesRepository.claim). Idle, it sleeps until the
 * earliest due retry or WEBHOOK_RESCAN_MS (deliveries queued by other replicas), whichever is first;
 * a commit that queued deliveries wakes it at once.
 */
@Injectable()
export class WebhookDispatcherService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('WebhookDispatcher');
  private readonly inFlight = new Set<Promise<void>>();
  private readonly policy: RetryPolicy;
  private readonly concurrency: number;
  private readonly timeoutMs: number;
  private readonly allowPrivate: boolean;
  private readonly batchFloor: number;
  private readonly loop: WakeLoop;

  constructor(
    private readonly ds: DataSource,
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly endpoints: WebhookEndpointsRepository,
    private readonly box: SecretBox,
    private readonly metrics: WebhookMetrics,
    config: ConfigService<EscalationEnv, true>,
  ) {
    this.policy = {
      schedule: parseRetrySchedule(config.get('WEBHOOK_RETRY_SCHEDULE_S', { infer: true }))!,
      jitter: config.get('WEBHOOK_RETRY_JITTER', { infer: true }),
      retryAfterMaxMs: config.get('WEBHOOK_RETRY_AFTER_MAX_S', { infer: true }) * 1000,
    };
    this.concurrency = config.get('WEBHOOK_CONCURRENCY', { infer: true });
    this.timeoutMs = config.get('WEBHOOK_TIMEOUT_MS', { infer: true });
    this.allowPrivate = config.get('WEBHOOK_ALLOW_PRIVATE', { infer: true });
    this.batchFloor = Math.max(1, Math.ceil(this.concurrency / 4));
    this.loop = new WakeLoop({
      pass: () => this.claimRound(),
      pollIntervalMs: config.get('WEBHOOK_RESCAN_MS', { infer: true }),
      errorBackoffMs: RETRY_AFTER_ERROR_MS,
      onError: (err) => this.logger.error({ err: (err as Error).message, msg: 'webhook queue read failed; retrying' }),
    });
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async onModuleDestroy(): Promise<void> {
    // The pass and the attempts under way finish (each within WEBHOOK_TIMEOUT_MS) and are recorded.
    await this.loop.stop();
    await Promise.allSettled([...this.inFlight]);
  }

  /** Look for due deliveries now. Calls made during a pass coalesce into one more pass. */
  kick(): void {
    this.loop.poke();
  }

  /** Claims what the free slots can take; idle, it sleeps until the earliest due retry (or the rescan). */
  private async claimRound(): Promise<WakePassResult> {
    const free = this.concurrency - this.inFlight.size;
    // Claim in batches (a claim is a query): wait for a quarter of the slots, unless idle. The
    // attempts under way kick the dispatcher as they end.
    if (free <= 0 || (this.inFlight.size > 0 && free < this.batchFloor)) return;
    const claimed = await this.deliveries.claim(free, this.timeoutMs + LEASE_MARGIN_MS);
    for (const d of claimed) this.track(this.attempt(d));
    if (claimed.length === free) return 'again';
    const due = await this.deliveries.nextDueAt();
    // Due already but not claimed: held by a lease or behind a run's earlier fact; the attempts
    // under way wake the dispatcher when they end, the rescan otherwise.
    if (due && due.getTime() > Date.now()) return { wakeInMs: due.getTime() - Date.now() };
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => {
      this.inFlight.delete(p);
      this.kick();
    });
  }

  private async attempt(d: ClaimedDelivery): Promise<void> {
    const startedAt = new Date();
    const result = await this.send(d, startedAt);
    const failed = d.attempts - d.attemptBase + 1;
    const { outcome, nextAttemptAt } = decideOutcome(result, failed, this.policy);
    try {
      await inTransaction(this.ds, async (tx) => {
        const ours = await this.deliveries.recordAttempt(tx, d, {
          startedAt,
          latencyMs: result.latencyMs,
          outcome,
          responseStatus: result.status,
          responsePrefix: result.responsePrefix,
          error: result.error ?? (outcome === AttemptOutcome.DELIVERED ? null : `HTTP ${result.status}`),
          nextAttemptAt,
        });
        if (!ours) return;
        if (outcome === AttemptOutcome.RETRY && nextAttemptAt) await this.deliveries.holdBack(tx, d, nextAttemptAt);
        if (outcome === AttemptOutcome.GONE) {
          await this.endpoints.disable(tx, d.endpointId, '410 Gone');
          await this.deliveries.park(d.endpointId, true, tx);
        }
      });
    } catch (err) {
      // The lease expires and the delivery is tried again: at least once, never lost.
      this.logger.error({ deliveryId: d.id, err: (err as Error).message, msg: 'webhook attempt not recorded' });
      return;
    }
    this.metrics.attempted(outcome, result.latencyMs);
    const log = { deliveryId: d.id, endpointId: d.endpointId, webhookId: d.webhookId, status: result.status, outcome };
    if (outcome === AttemptOutcome.GONE) this.logger.warn({ ...log, msg: 'webhook endpoint answered 410: disabled' });
    else if (outcome === AttemptOutcome.DEAD)
      this.logger.warn({ ...log, error: result.error, msg: 'webhook dead-lettered' });
  }

  /** Signs with the current secret and, during a rotation, the previous one too. */
  private async send(d: ClaimedDelivery, at: Date): Promise<SendResult> {
    let secrets: string[];
    try {
      secrets = [d.secretSealed, ...(d.previousSecretSealed ? [d.previousSecretSealed] : [])].map((s) =>
        this.box.open(s),
      );
    } catch (err) {
      return { status: null, retryAfter: undefined, responsePrefix: null, error: (err as Error).message, latencyMs: 0 };
    }
    return sendWebhook({
      url: d.url,
      headers: signedHeaders(secrets, d.webhookId, at, d.body),
      body: d.body,
      timeoutMs: this.timeoutMs,
      allowPrivate: this.allowPrivate,
    });
  }
}
