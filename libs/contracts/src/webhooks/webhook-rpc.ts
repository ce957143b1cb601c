import type { AttemptOutcome, DeliveryStatus, WebhookEventType } from './webhook-events';

/** A registered endpoint as listed: never its secret. */
export interface WebhookView {
  id: string;
  url: string;
  events: WebhookEventType[];
  enabled: boolean;
  /** Why the endpoint stopped receiving (for example `410 Gone`), null when enabled by hand. */
  disabledReason: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  /** Until then deliveries are also signed with the secret the last rotation replaced. */
  previousSecretExpiresAt: string | null;
  deletedAt: string | null;
}

/** The answer of create and rotate-secret: the only time `secret` is shown. */
export interface WebhookWithSecret extends WebhookView {
  secret: string;
}

export interface WebhookAttemptView {
  attempt: number;
  at: string;
  outcome: AttemptOutcome;
  responseStatus: number | null;
  latencyMs: number;
  error: string | null;
}

export interface WebhookDeliveryView {
  id: string;
  /** The `webhook-id` header: the fact's id, the same on every attempt and redelivery. */
  webhookId: string;
  eventType: WebhookEventType;
  workflowId: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
  attemptLog: WebhookAttemptView[];
}

/** rpc.escalation.webhooks.create */
export interface CreateWebhookCommand {
  url: string;
  events: WebhookEventType[];
  createdBy: string;
}

/** rpc.escalation.webhooks.update */
export interface UpdateWebhookCommand {
  id: string;
  enabled?: boolean;
  events?: WebhookEventType[];
}

/** rpc.escalation.webhooks.{rotate-secret,delete} */
export interface WebhookIdRequest {
  id: string;
}

/** rpc.escalation.webhooks.deliveries */
export interface ListDeliveriesRequest {
  id: string;
  status?: DeliveryStatus;
  limit?: number;
}

export interface WebhookDeliveryList {
  items: WebhookDeliveryView[];
}

/** rpc.escalation.webhooks.redeliver: one delivery, or every dead letter of the endpoint. */
export interface RedeliverRequest {
  id: string;
  deliveryId?: string;
}

export interface RedeliverResult {
  redelivered: number;
}
