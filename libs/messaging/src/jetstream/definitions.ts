import { subjectFilters } from '@gatehouse/contracts';
import type { FairQueueName } from '../fair-queue/fair-queues';

/**
 * Every stream and durable consumer of the platform, declared once and provisioned by
 * `provisionStreams` (run by `npm start` and by every service at boot, idempotently).
 */
export interface StreamDefinition {
  name: string;
  subjects: string[];
  retention: 'limits' | 'workqueue';
  /** Seconds a stored message is kept (limits retention). */
  maxAgeS: number;
  /** Window in which a repeated Nats-Msg-Id is dropped by the server. */
  duplicateWindowS: number;
}

export interface ConsumerDefinition {
  stream: string;
  durable: string;
  filterSubject: string;
  /** Seconds before an unacknowledged delivery is redelivered. */
  ackWaitS: number;
  maxAckPending: number;
  /**
   * The fair queue whose released work this consumer settles: each message it settles frees its
   * window slot (deletes its `work_queue` row) in the settling transaction.
   */
  fairQueue?: FairQueueName;
}

export const STREAMS = {
  events: {
    name: 'GATEHOUSE_EVENTS',
    subjects: [subjectFilters.events],
    retention: 'limits',
    maxAgeS: 7 * 24 * 3600,
    duplicateWindowS: 120,
  },
  queues: {
    name: 'GATEHOUSE_QUEUES',
    subjects: [subjectFilters.queues],
    retention: 'workqueue',
    maxAgeS: 7 * 24 * 3600,
    duplicateWindowS: 120,
  },
  human: {
    name: 'GATEHOUSE_HUMAN',
    subjects: [subjectFilters.human],
    retention: 'limits',
    maxAgeS: 30 * 24 * 3600,
    duplicateWindowS: 120,
  },
  sys: {
    name: 'GATEHOUSE_SYS',
    subjects: [subjectFilters.sys],
    retention: 'limits',
    maxAgeS: 7 * 24 * 3600,
    duplicateWindowS: 120,
  },
} satisfies Record<string, StreamDefinition>;

const consumer = (
  stream: StreamDefinition,
  durable: string,
  filterSubject: string,
  fairQueue?: FairQueueName,
): ConsumerDefinition => ({
  stream: stream.name,
  durable,
  filterSubject,
  ackWaitS: 30,
  maxAckPending: 2000,
  ...(fairQueue ? { fairQueue } : {}),
});

export const CONSUMERS = {
  /** runs: parent run steps. */
  runsIntentQueue: consumer(STREAMS.queues, 'runs-intent-q', subjectFilters.intentQueue, 'intentQ'),
  /** runs: child tasks of ExecuteST. */
  runsSandboxQueue: consumer(STREAMS.queues, 'runs-sbx-q', subjectFilters.sandboxQueue, 'sbxQ'),
  /** runs: gates decided, to resume or end the run. */
  runsGateDecided: consumer(STREAMS.events, 'runs-gate-decided', subjectFilters.gateDecided),
  /** gates: runs asking for a gate. */
  gatesGateRequested: consumer(STREAMS.events, 'gates-gate-requested', subjectFilters.gateRequested),
  /** gates: deadlines passed, from escalation. */
  gatesDeadlinePassed: consumer(STREAMS.events, 'gates-deadline-passed', subjectFilters.deadlinePassed),
  /** gates: runs that reached a terminal status (a finished run cancels its pending gates). */
  gatesRunFinished: consumer(STREAMS.events, 'gates-run-finished', subjectFilters.runFinished),
  /** gates: human replies published on JetStream by external systems. */
  gatesHumanIngress: consumer(STREAMS.human, 'gates-human-ingress', subjectFilters.human),
  /** escalation: gates opened (arm a timer) and decided (disarm). */
  escalationGateEvents: consumer(STREAMS.events, 'escalation-gate-events', subjectFilters.gatesAll),
  /** escalation: every fact, for the outbound webhooks (one filter: nats-server 2.9 takes no list). */
  escalationWebhookFacts: consumer(STREAMS.events, 'escalation-webhook-facts', subjectFilters.events),
} satisfies Record<string, ConsumerDefinition>;

/** A durable consumer that an earlier version declared and provisioning now deletes. */
export interface RetiredConsumer {
  stream: string;
  durable: string;
}

/**
 * Durables no longer declared. Left on an existing deployment they would keep collecting
 * messages nobody acknowledges, so provisioning deletes them (idempotently).
 */
export const RETIRED_CONSUMERS: readonly RetiredConsumer[] = [
  // Replaced by gates-run-finished: gates acts only on terminal snapshots.
  { stream: STREAMS.events.name, durable: 'gates-run-updated' },
];
