import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { queryOne, queryRows, type Db } from '@gatehouse/persistence';
import type { WebhookEventType, WebhookView } from '@gatehouse/contracts';

interface EndpointRow {
  id: string;
  url: string;
  events: WebhookEventType[];
  enabled: boolean;
  disabled_reason: string | null;
  created_by: string;
  created_at: Date;
  updated_at: Date;
  previous_secret_expires_at: Date | null;
  deleted_at: Date | null;
}

const COLUMNS = `id, url, events, enabled, disabled_reason, created_by, created_at, updated_at,
  previous_secret_expires_at, deleted_at`;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toWebhookView(r: EndpointRow): WebhookView {
  return {
    id: r.id,
    url: r.url,
    events: r.events,
    enabled: r.enabled,
    disabledReason: r.disabled_reason,
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    // An overlap that has ended is no longer part of the endpoint's state.
    previousSecretExpiresAt:
      r.previous_secret_expires_at && r.previous_secret_expires_at > new Date()
        ? r.previous_secret_expires_at.toISOString()
        : null,
    deletedAt: iso(r.deleted_at),
  };
}

/** `escalation.webhook_endpoints`: the endpoints admins registered. Secrets are stored sealed. */
@Injectable()
export class WebhookEndpointsRepository {
  constructor(private readonly ds: DataSource) {}

  async insert(e: {
    id: string;
    url: string;
    events: WebhookEventType[];
    sealedSecret: string;
    createdBy: string;
  }): Promise<WebhookView> {
    const row = await queryOne<EndpointRow>(
      this.ds,
      `INSERT INTO escalation.webhook_endpoints (id, url, events, secret_ciphertext, created_by)
       VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
      [e.id, e.url, e.events, e.sealedSecret, e.createdBy],
    );
    return toWebhookView(row!);
  }

  async list(): Promise<WebhookView[]> {
    const rows = await queryRows<EndpointRow>(
      this.ds,
      `SELECT ${COLUMNS} FROM escalation.webhook_endpoints WHERE deleted_at IS NULL ORDER BY created_at, id`,
    );
    return rows.map(toWebhookView);
  }

  async find(id: string, db: Db = this.ds): Promise<WebhookView | null> {
    const row = await queryOne<EndpointRow>(
      db,
      `SELECT ${COLUMNS} FROM escalation.webhook_endpoints WHERE id = $1 AND deleted_at IS NULL`,
      [id],
    );
    return row ? toWebhookView(row) : null;
  }

  /** Enables (clearing the reason) or disables by hand, and/or replaces the events. */
  async update(id: string, change: { enabled?: boolean; events?: WebhookEventType[] }): Promise<WebhookView | null> {
    const row = await queryOne<EndpointRow>(
      this.ds,
      `UPDATE escalation.webhook_endpoints
       SET enabled = COALESCE($2, enabled),
           disabled_reason = CASE WHEN $2::boolean IS NULL THEN disabled_reason ELSE NULL END,
           events = COALESCE($3, events),
           updated_at = now()
       WHERE id = $1 AND deleted_at IS NULL RETURNING ${COLUMNS}`,
      [id, change.enabled ?? null, change.events ?? null],
    );
    return row ? toWebhookView(row) : null;
  }

  /** A new secret; the one it replaces keeps signing until `overlapS` from now. */
  async rotate(id: string, sealedSecret: string, overlapS: number): Promise<WebhookView | null> {
    const row = await queryOne<EndpointRow>(
      this.ds,
      `UPDATE escalation.webhook_endpoints
       SET previous_secret_ciphertext = secret_ciphertext,
           previous_secret_expires_at = now() + make_interval(secs => $3),
           secret_ciphertext = $2,
           updated_at = now()
       WHERE id = $1 AND deleted_at IS NULL RETURNING ${COLUMNS}`,
      [id, sealedSecret, overlapS],
    );
    return row ? toWebhookView(row) : null;
  }

  /**
   * Deletes an endpoint: no new deliveries, none attempted, but its rows stay for the record.
   * Deleting again answers the same view.
   */
  async remove(id: string): Promise<WebhookView | null> {
    const row = await queryOne<EndpointRow>(
      this.ds,
      `UPDATE escalation.webhook_endpoints
       SET deleted_at = COALESCE(deleted_at, now()), enabled = false, updated_at = now()
       WHERE id = $1 RETURNING ${COLUMNS}`,
      [id],
    );
    return row ? toWebhookView(row) : null;
  }

  /** A 410 Gone: the receiver asked never to be called again until an admin re-enables it. */
  async disable(db: Db, id: string, reason: string): Promise<void> {
    await queryRows(
      db,
      `UPDATE escalation.webhook_endpoints SET enabled = false, disabled_reason = $2, updated_at = now()
       WHERE id = $1 AND enabled`,
      [id, reason],
    );
  }
}
