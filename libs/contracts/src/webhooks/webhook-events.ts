/**
 * The facts the escalation service delivers to webhook endpoints (DESIGN section 13). The names are
 * the `type` of the delivered body `{type, timestamp, data}` and what an endpoint subscribes to.
 */
export const WEBHOOK_EVENT_TYPES = [
  'gate.opened',
  'gate.decided',
  'gate.timed_out',
  'gate.escalated',
  'gate.cancelled',
  'run.paused',
  'run.resumed',
  'run.finished',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export function isWebhookEventType(value: unknown): value is WebhookEventType {
  return typeof value === 'string' && (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}

/** The body of every delivery; `data` is the fact as the service that owns it announced it. */
export interface WebhookPayload {
  type: WebhookEventType;
  /** When the fact happened (ISO 8601), not when it was delivered. */
  timestamp: string;
  data: unknown;
}

/** A delivery's state: waiting for its next attempt, done, or in the dead-letter list. */
export enum DeliveryStatus {
  PENDING = 'PENDING',
  DELIVERED = 'DELIVERED',
  DEAD = 'DEAD',
}

/** How one attempt ended. */
export enum AttemptOutcome {
  /** 2xx. */
  DELIVERED = 'DELIVERED',
  /** A failure with attempts left: another attempt is scheduled. */
  RETRY = 'RETRY',
  /** A failure after the last attempt: the delivery is dead-lettered. */
  DEAD = 'DEAD',
  /** 410 Gone: the endpoint is disabled and the delivery dead-lettered. */
  GONE = 'GONE',
}
