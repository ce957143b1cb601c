import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { execute, queryOne, queryRows, type Db } from '@gatehouse/persistence';
import {
  AttemptOutcome,
  DeliveryStatus,
  type WebhookAttemptView,
  type WebhookDeliveryView,
  type WebhookEventType,
  type WebhookPayload,
} from '@gatehouse/contracts';
import type { WebhookFact } from './fact-mapping';

/** A delivery taken for one attempt: what to send, where, and the lease that makes it ours. */
export interface ClaimedDelivery {
  id: string;
  endpointId: string;
  webhookId: string;
  body: string;
  /** Attempts made before this one, and the count at the last redelivery (the retry budget restarts there). */
  attempts: number;
  attemptBase: number;
  url: string;
  secretSealed: string;
  previousSecretSealed: string | null;
  leaseToken: string;
}

/** How an attempt ended, as the dispatcher decided it. */
export interface AttemptRecord {
  startedAt: Date;
  latencyMs: number;
  outcome: AttemptOutcome;
  responseStatus: number | null;
  responsePrefix: string | null;
  error: string | null;
  /** For RETRY: when to try again. */
  nextAttemptAt: Date | null;
}

interface DeliveryRow {
  id: string;
  webhook_id: string;
  event_type: WebhookEventType;
  workflow_id: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: Date;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
}

interface AttemptRow {
  delivery_id: string;
  attempt: number;
  started_at: Date;
  latency_ms: number;
  outcome: AttemptOutcome;
  response_status: number | null;
  error: string | null;
}

/**
 * `escalation.webhook_deliveries` is the escalation service's own durable delivery queue: one row
 * per fact and subscribed endpoint, written in the transaction that records the fact's message in
 * the inbox. `webhook_attempts` keeps one row per attempt.
 */
@Injectable()
export class WebhookDeliveriesRepository {
  constructor(private readonly ds: DataSource) {}

  /**
   * Queues the facts for every enabled endpoint subscribed to their type. A fact already queued for
   * an endpoint (a redelivered message) is not queued twice. Returns how many rows were queued.
   */
  async enqueue(tx: EntityManager, facts: WebhookFact[]): Promise<number> {
    if (facts.length === 0) return 0;
    const bodies = facts.map((f) =>
      JSON.stringify({ type: f.type, timestamp: f.timestamp, data: f.data } satisfies WebhookPayload),
    );
    return execute(
      tx,
      `INSERT INTO escalation.webhook_deliveries (endpoint_id, webhook_id, event_type, workflow_id, body)
       SELECT e.id, f.webhook_id, f.event_type, f.workflow_id, f.body
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS f(webhook_id, event_type, workflow_id, body, n)
       JOIN escalation.webhook_endpoints e ON e.enabled AND e.deleted_at IS NULL AND f.event_type = ANY (e.events)
       ORDER BY f.n, e.id
       ON CONFLICT (endpoint_id, webhook_id) DO NOTHING`,
      [facts.map((f) => f.webhookId), facts.map((f) => f.type), facts.map((f) => f.workflowId), bodies],
    );
  }

  /**
   * Takes up to `limit` due deliveries for one attempt each, leased for `leaseMs` (a process that
   * dies mid-attempt leaves its lease to expire; another replica then tries again). Only the oldest
   * pending delivery of an endpoint and run is due, so each endpoint sees a run's facts in order;
   * endpoints and runs proceed independently. SKIP LOCKED lets replicas claim side by side.
   * It reads a window at the front of the due index (cheap however long the queue), which holds
   * sendable rows first: rows that must wait are moved back in due order (see holdBack, park).
   */
  async claim(limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    const token = randomUUID();
    const rows = await queryRows<{
      id: string;
      endpoint_id: string;
      webhook_id: string;
      body: string;
      attempts: number;
      attempt_base: number;
      url: string;
      secret_ciphertext: string;
      previous_secret_ciphertext: string | null;
    }>(
      this.ds,
      `WITH window_ AS MATERIALIZED (
         SELECT id FROM escalation.webhook_deliveries
         WHERE status = 'PENDING' AND next_attempt_at <= now()
         ORDER BY next_attempt_at, id LIMIT $1 * 8 + 64),
       picked AS (
         -- Driven by the window, row by row, whatever the table's statistics say (a queue that just
         -- filled has none yet): the endpoint check is a correlated lookup, not a join to plan around.
         SELECT c.id FROM window_ w JOIN escalation.webhook_deliveries c ON c.id = w.id
         WHERE c.status = 'PENDING'
           AND (c.lease_until IS NULL OR c.lease_until < now())
           AND (SELECT ce.enabled AND ce.deleted_at IS NULL FROM escalation.webhook_endpoints ce
                WHERE ce.id = c.endpoint_id)
           AND NOT EXISTS (
             SELECT 1 FROM escalation.webhook_deliveries p
             WHERE p.endpoint_id = c.endpoint_id AND p.workflow_id = c.workflow_id
               AND p.status = 'PENDING' AND p.id < c.id)
         ORDER BY c.next_attempt_at, c.id
         LIMIT $1
         FOR UPDATE OF c SKIP LOCKED)
       UPDATE escalation.webhook_deliveries d
       SET lease_until = clock_timestamp() + make_interval(secs => $2::double precision / 1000), lease_token = $3
       FROM picked pk, escalation.webhook_endpoints e
       WHERE d.id = pk.id AND e.id = d.endpoint_id
       RETURNING d.id, d.endpoint_id, d.webhook_id, d.body, d.attempts, d.attempt_base, e.url,
         e.secret_ciphertext,
         CASE WHEN e.previous_secret_expires_at > clock_timestamp() THEN e.previous_secret_ciphertext END
           AS previous_secret_ciphertext`,
      [limit, leaseMs, token],
    );
    return rows.map((r) => ({
      id: String(r.id),
      endpointId: r.endpoint_id,
      webhookId: r.webhook_id,
      body: r.body,
      attempts: r.attempts,
      attemptBase: r.attempt_base,
      url: r.url,
      secretSealed: r.secret_ciphertext,
      previousSecretSealed: r.previous_secret_ciphertext,
      leaseToken: token,
    }));
  }

  /** A run's later facts for an endpoint wait behind a retried one: not due before it. */
  async holdBack(tx: EntityManager, d: ClaimedDelivery, until: Date): Promise<void> {
    await execute(
      tx,
      `UPDATE escalation.webhook_deliveries f
       SET next_attempt_at = $2
       FROM escalation.webhook_deliveries h
       WHERE h.id = $1 AND f.endpoint_id = h.endpoint_id AND f.workflow_id = h.workflow_id
         AND f.status = 'PENDING' AND f.id > h.id AND f.next_attempt_at < $2`,
      [d.id, until],
    );
  }

  /**
   * A disabled or deleted endpoint's pending deliveries leave the front of the queue (parked at
   * 'infinity'); enabled again, they are due at once, in their order.
   */
  async park(endpointId: string, parked: boolean, db: Db = this.ds): Promise<void> {
    await execute(
      db,
      `UPDATE escalation.webhook_deliveries
       SET next_attempt_at = CASE WHEN $2 THEN 'infinity'::timestamptz ELSE now() END
       WHERE endpoint_id = $1 AND status = 'PENDING'`,
      [endpointId, parked],
    );
  }

  /**
   * Records an attempt and moves the delivery on, if the lease is still ours (a lease that expired
   * and was taken by another replica leaves this attempt's row only). Returns whether it was ours.
   */
  async recordAttempt(tx: EntityManager, d: ClaimedDelivery, a: AttemptRecord): Promise<boolean> {
    const attempt = d.attempts + 1;
    const status =
      a.outcome === AttemptOutcome.DELIVERED
        ? DeliveryStatus.DELIVERED
        : a.outcome === AttemptOutcome.RETRY
          ? DeliveryStatus.PENDING
          : DeliveryStatus.DEAD;
    const moved = await execute(
      tx,
      `UPDATE escalation.webhook_deliveries
       SET status = $3, attempts = $4, next_attempt_at = COALESCE($5, next_attempt_at),
           lease_until = NULL, lease_token = NULL, last_status_code = $6, last_error = $7,
           delivered_at = CASE WHEN $3 = 'DELIVERED' THEN clock_timestamp() ELSE delivered_at END,
           dead_at = CASE WHEN $3 = 'DEAD' THEN clock_timestamp() ELSE NULL END
       WHERE id = $1 AND lease_token = $2`,
      [d.id, d.leaseToken, status, attempt, a.nextAttemptAt, a.responseStatus, a.error],
    );
    await execute(
      tx,
      `INSERT INTO escalation.webhook_attempts
         (delivery_id, attempt, started_at, latency_ms, outcome, response_status, response_prefix, error)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (delivery_id, attempt) DO NOTHING`,
      [d.id, attempt, a.startedAt, a.latencyMs, a.outcome, a.responseStatus, a.responsePrefix, a.error],
    );
    return moved === 1;
  }

  /** When the earliest pending delivery is due (null: none is pending). */
  async nextDueAt(): Promise<Date | null> {
    const row = await queryOne<{ at: Date }>(
      this.ds,
      `SELECT next_attempt_at AS at FROM escalation.webhook_deliveries
       WHERE status = 'PENDING' AND next_attempt_at < 'infinity'
       ORDER BY next_attempt_at, id LIMIT 1`,
    );
    return row?.at ?? null;
  }

  /** An endpoint's deliveries, newest first, each with its attempts. */
  async list(endpointId: string, status: DeliveryStatus | undefined, limit: number): Promise<WebhookDeliveryView[]> {
    const rows = await queryRows<DeliveryRow>(
      this.ds,
      `SELECT id, webhook_id, event_type, workflow_id, status, attempts, next_attempt_at, last_status_code,
              last_error, created_at, delivered_at
       FROM escalation.webhook_deliveries
       WHERE endpoint_id = $1 AND ($2::text IS NULL OR status = $2)
       ORDER BY id DESC LIMIT $3`,
      [endpointId, status ?? null, limit],
    );
    const attempts = rows.length
      ? await queryRows<AttemptRow>(
          this.ds,
          `SELECT delivery_id, attempt, started_at, latency_ms, outcome, response_status, error
           FROM escalation.webhook_attempts WHERE delivery_id = ANY ($1::bigint[]) ORDER BY delivery_id, attempt`,
          [rows.map((r) => r.id)],
        )
      : [];
    const byDelivery = new Map<string, WebhookAttemptView[]>();
    for (const a of attempts) {
      const list = byDelivery.get(String(a.delivery_id)) ?? [];
      list.push({
        attempt: a.attempt,
        at: a.started_at.toISOString(),
        outcome: a.outcome,
        responseStatus: a.response_status,
        latencyMs: a.latency_ms,
        error: a.error,
      });
      byDelivery.set(String(a.delivery_id), list);
    }
    return rows.map((r) => ({
      id: String(r.id),
      webhookId: r.webhook_id,
      eventType: r.event_type,
      workflowId: r.workflow_id,
      status: r.status,
      attempts: r.attempts,
      // A disabled endpoint's pending deliveries are parked at 'infinity': no time to show.
      nextAttemptAt:
        r.status === DeliveryStatus.PENDING &&
        r.next_attempt_at instanceof Date &&
        Number.isFinite(r.next_attempt_at.getTime())
          ? r.next_attempt_at.toISOString()
          : null,
      lastStatusCode: r.last_status_code,
      lastError: r.last_error,
      createdAt: r.created_at.toISOString(),
      deliveredAt: r.delivered_at ? r.delivered_at.toISOString() : null,
      attemptLog: byDelivery.get(String(r.id)) ?? [],
    }));
  }

  /**
   * Queues deliveries again with a fresh retry budget, the same `webhook-id`: one delivery (any
   * status but pending; null when it is not the endpoint's) or every dead letter of the endpoint.
   */
  async redeliver(endpointId: string, deliveryId?: string): Promise<number | null> {
    if (deliveryId !== undefined) {
      const found = await queryOne<{ status: DeliveryStatus }>(
        this.ds,
        `SELECT status FROM escalation.webhook_deliveries WHERE id = $1 AND endpoint_id = $2`,
        [deliveryId, endpointId],
      );
      if (!found) return null;
    }
    return execute(
      this.ds,
      `UPDATE escalation.webhook_deliveries
       SET status = 'PENDING', attempt_base = attempts,
           next_attempt_at = CASE WHEN (SELECT enabled FROM escalation.webhook_endpoints WHERE id = $1)
                                  THEN clock_timestamp() ELSE 'infinity'::timestamptz END,
           lease_until = NULL, lease_token = NULL, dead_at = NULL
       WHERE endpoint_id = $1 AND status <> 'PENDING'
         AND (CASE WHEN $2::bigint IS NULL THEN status = 'DEAD' ELSE id = $2::bigint END)`,
      [endpointId, deliveryId ?? null],
    );
  }
}
