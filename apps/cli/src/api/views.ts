/**
 * Answers of routes whose types are not in this build's libs/contracts, as DESIGN sections 12-14 and
 * their implementations define them (inbox, run control, webhooks). Fields the CLI only displays.
 */

/** One item of GET /api/gates (the inbox). */
export interface InboxItem {
  workflowId: string;
  gateKey: string;
  state: string;
  title: string | null;
  riskLevel: string;
  /** Approvals that count so far, and how many decide `approve`. */
  approvals: { count: number; required: number };
  deadlineAt: string;
  openedAt: string;
  run: { goal: string | null; recipe: string; partition: string | null; requestedBy: string | null; status: string };
}

export interface InboxPage {
  items: InboxItem[];
  nextCursor: string | null;
}

/** The answer of POST /api/runs/:wid/{pause,resume,cancel}; `changed: false` for a repeat. */
export interface RunControlResult {
  workflowID: string;
  action: string;
  changed: boolean;
  status: string;
  paused: boolean;
}

/** A registered webhook endpoint; `secret` only in the answers of create and rotate-secret. */
export interface WebhookView {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
  disabledReason: string | null;
  createdAt: string;
  previousSecretExpiresAt: string | null;
  secret?: string;
}

/** One delivery of a fact to an endpoint (GET /api/webhooks/:id/deliveries -> {items}). */
export interface WebhookDelivery {
  id: string;
  eventType: string;
  workflowId: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
}
