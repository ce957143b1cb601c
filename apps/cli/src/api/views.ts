/**
 * Answers of routes whose types are not in libs/contracts yet, written from DESIGN sections 12-14.
 * Fields the CLI only displays are optional so an older or newer gateway still prints.
 */

/** One item of GET /api/gates (the inbox). */
export interface InboxItem {
  workflowId: string;
  gateKey: string;
  state?: string;
  title?: string;
  riskLevel?: string;
  approvalCount?: number;
  requiredApprovals?: number;
  deadlineAt?: string;
  run?: { goal?: string; recipeName?: string; partition?: string; requestedBy?: string | null; status?: string };
}

export interface InboxPage {
  items: InboxItem[];
  nextCursor: string | null;
}

/** A registered webhook endpoint (GET /api/webhooks); `secret` only when created or rotated. */
export interface WebhookView {
  id: string;
  url: string;
  events: string[];
  disabled?: boolean;
  disabledAt?: string | null;
  createdAt?: string;
  secret?: string;
}

/** One delivery attempt of a webhook (GET /api/webhooks/:id/deliveries). */
export interface WebhookDelivery {
  id: string;
  eventType?: string;
  type?: string;
  status: string;
  responseCode?: number | null;
  attempt?: number;
  latencyMs?: number | null;
  createdAt?: string;
}
