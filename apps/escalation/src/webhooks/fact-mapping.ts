import {
  GateState,
  subjectFilters,
  type GateCancelledEvent,
  type GateDecidedEvent,
  type GateOpenedEvent,
  type RunControlEvent,
  type RunUpdatedEvent,
  type WebhookEventType,
} from '@gatehouse/contracts';

/** One webhook event made from a fact. */
export interface WebhookFact {
  type: WebhookEventType;
  /** The `webhook-id`: the fact's deterministic id (its Nats-Msg-Id), so receivers can deduplicate. */
  webhookId: string;
  workflowId: string;
  timestamp: string;
  data: unknown;
}

type Body = Record<string, unknown>;
type Mapper = (body: Body, factId: string) => WebhookFact[];

const prefix = (filter: string) => filter.slice(0, -1);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const fact = (
  type: WebhookEventType,
  factId: string,
  workflowId: unknown,
  at: unknown,
  data: unknown,
): WebhookFact => ({
  type,
  webhookId: factId,
  workflowId: str(workflowId),
  timestamp: str(at) || new Date().toISOString(),
  data,
});

/**
 * Which fact (by subject prefix) becomes which webhook event. Adding an event type is one line here
 * (and its name in WEBHOOK_EVENT_TYPES).
 */
export const FACT_MAPPERS: ReadonlyArray<readonly [string, Mapper]> = [
  [
    prefix(subjectFilters.gateOpened),
    (b, id) => [fact('gate.opened', id, b.workflowId, (b as unknown as GateOpenedEvent).openedAt, b)],
  ],
  [prefix(subjectFilters.gateDecided), decided],
  [
    prefix(subjectFilters.gateCancelled),
    (b, id) => [fact('gate.cancelled', id, b.workflowId, (b as unknown as GateCancelledEvent).at, b)],
  ],
  [
    prefix(subjectFilters.runFinished),
    (b, id) => [fact('run.finished', id, b.workflowID, (b as unknown as RunUpdatedEvent).at, b)],
  ],
  [
    prefix(subjectFilters.runPaused),
    (b, id) => [fact('run.paused', id, b.workflowID, (b as unknown as RunControlEvent).at, b)],
  ],
  [
    prefix(subjectFilters.runResumed),
    (b, id) => [fact('run.resumed', id, b.workflowID, (b as unknown as RunControlEvent).at, b)],
  ],
];

/**
 * A decided gate: `gate.decided` for an accepted reply (or a policy decision), `gate.timed_out` when
 * its deadline passed, and also `gate.escalated` when the timeout opened a successor gate. The
 * escalation is a second event of the same fact, so its id is the fact's with a suffix.
 */
function decided(body: Body, factId: string): WebhookFact[] {
  const b = body as unknown as GateDecidedEvent;
  if (b.state !== GateState.TIMED_OUT) return [fact('gate.decided', factId, b.workflowId, b.at, b)];
  const events = [fact('gate.timed_out', factId, b.workflowId, b.at, b)];
  if (b.escalatedTo) {
    events.push(
      fact('gate.escalated', `${factId}:escalated`, b.workflowId, b.at, {
        workflowId: b.workflowId,
        gateKey: b.gateKey,
        rootGateKey: b.rootGateKey,
        successorGateKey: b.escalatedTo,
        at: b.at,
      }),
    );
  }
  return events;
}

/** The webhook events a fact makes; none for facts no endpoint can subscribe to. */
export function webhookFactsOf(subject: string, body: unknown, factId: string): WebhookFact[] {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return [];
  const entry = FACT_MAPPERS.find(([p]) => subject.startsWith(p));
  return entry ? entry[1](body as Body, factId).filter((f) => f.workflowId !== '') : [];
}

/** Whether a fact on this subject can become a webhook event. */
export function isWebhookFactSubject(subject: string): boolean {
  return FACT_MAPPERS.some(([p]) => subject.startsWith(p));
}
