/**
 * Every NATS subject of the platform, defined once. JetStream facts live under `evt.>`,
 * queue work under `q.>`, external human replies under `human.>`, system signals under `sys.>`,
 * request/reply commands under `rpc.>`.
 */
export const subjects = {
  /** runs: a run needs a human decision. */
  gateRequested: (wid: string, g: string) => `evt.runs.gate-requested.${wid}.${g}`,
  /** runs: a run's status snapshot changed (UX channel: the gateway's status stream). */
  runUpdated: (wid: string) => `evt.runs.run-updated.${wid}`,
  /** runs: a run reached a terminal status; the terminal snapshot, once (gates cancels the run's gates). */
  runFinished: (wid: string) => `evt.runs.run-finished.${wid}`,
  /** runs: an operator paused the run (RunControlEvent); announced for outbound notifications. */
  runPaused: (wid: string) => `evt.runs.run-paused.${wid}`,
  /** runs: an operator resumed the run (RunControlEvent). */
  runResumed: (wid: string) => `evt.runs.run-resumed.${wid}`,
  /** gates: a gate opened with its deadline. */
  gateOpened: (wid: string, g: string) => `evt.gates.gate-opened.${wid}.${g}`,
  /** gates: a gate left PENDING with a decision (reply accepted or deadline passed). */
  gateDecided: (wid: string, g: string) => `evt.gates.gate-decided.${wid}.${g}`,
  /** gates: a PENDING gate was cancelled because its run ended (no decision). */
  gateCancelled: (wid: string, g: string) => `evt.gates.gate-cancelled.${wid}.${g}`,
  /** escalation: a deadline passed. */
  deadlinePassed: (wid: string, g: string) => `evt.escalation.deadline-passed.${wid}.${g}`,
  /** Parent run steps on intentQ, partitioned. */
  intentTask: (partition: string) => `q.intentQ.${partition}`,
  /** Child tasks of ExecuteST on sbxQ, partitioned. */
  sandboxTask: (partition: string) => `q.sbxQ.${partition}`,
};

/**
 * Announcements for outside listeners on `sys.>` (topic `sys:gatehouse:<k>`, DESIGN sections 3 and 10),
 * stored in the GATEHOUSE_SYS stream. Internal services never consume them: they are copies of facts
 * written through the outbox in the transaction of the fact.
 */
export const sysSubjects = {
  /** A bus reply on `human.<wid>.<g>` was refused (RejectedReplyAnnouncement). */
  rejectedReply: 'sys.gatehouse.rejected-reply',
  /** GateOpenedEvent. */
  gateOpened: 'sys.gatehouse.gate-opened',
  /** GateDecidedEvent of a reply that was accepted (state RECEIVED). */
  gateDecided: 'sys.gatehouse.gate-decided',
  /** GateDecidedEvent of a deadline that passed (state TIMED_OUT). */
  gateTimedOut: 'sys.gatehouse.gate-timed-out',
  /** GateEscalatedEvent: a successor gate opened for the next approver group. */
  gateEscalated: 'sys.gatehouse.gate-escalated',
  /** GateCancelledEvent. */
  gateCancelled: 'sys.gatehouse.gate-cancelled',
} as const;

/** Wildcards used by stream and consumer definitions and by listeners. */
export const subjectFilters = {
  events: 'evt.>',
  gateRequested: 'evt.runs.gate-requested.>',
  runUpdated: 'evt.runs.run-updated.>',
  runFinished: 'evt.runs.run-finished.>',
  runPaused: 'evt.runs.run-paused.>',
  runResumed: 'evt.runs.run-resumed.>',
  gateOpened: 'evt.gates.gate-opened.>',
  gateDecided: 'evt.gates.gate-decided.>',
  gateCancelled: 'evt.gates.gate-cancelled.>',
  gatesAll: 'evt.gates.>',
  deadlinePassed: 'evt.escalation.deadline-passed.>',
  queues: 'q.>',
  intentQueue: 'q.intentQ.>',
  sandboxQueue: 'q.sbxQ.>',
  human: 'human.>',
  sys: 'sys.>',
};

/** Request/reply patterns (NestJS NATS transport, queue group per service). */
export const rpc = {
  runs: {
    createIntent: 'rpc.runs.create-intent',
    startRun: 'rpc.runs.start-run',
    getRun: 'rpc.runs.get-run',
    /** Pause, resume or cancel a run (RunControlCommand -> RunControlResult). */
    control: 'rpc.runs.control',
    health: 'rpc.runs.health',
  },
  gates: {
    list: 'rpc.gates.list',
    /** The operators' inbox across runs (InboxQuery -> InboxPage). */
    inbox: 'rpc.gates.inbox',
    get: 'rpc.gates.get',
    history: 'rpc.gates.history',
    reply: 'rpc.gates.reply',
    pendingPlanGate: 'rpc.gates.pending-plan-gate',
    health: 'rpc.gates.health',
    /** API keys, owned by the gates service (DESIGN section 10). */
    keys: {
      create: 'rpc.gates.keys.create',
      list: 'rpc.gates.keys.list',
      revoke: 'rpc.gates.keys.revoke',
      verify: 'rpc.gates.keys.verify',
    },
  },
  escalation: {
    get: 'rpc.escalation.get',
    health: 'rpc.escalation.health',
    /** Outbound webhooks, owned by the escalation service (DESIGN section 13). */
    webhooks: {
      create: 'rpc.escalation.webhooks.create',
      list: 'rpc.escalation.webhooks.list',
      update: 'rpc.escalation.webhooks.update',
      remove: 'rpc.escalation.webhooks.remove',
      rotateSecret: 'rpc.escalation.webhooks.rotate-secret',
      deliveries: 'rpc.escalation.webhooks.deliveries',
      redeliver: 'rpc.escalation.webhooks.redeliver',
    },
  },
} as const;

/** Queue group names: replicas of one service share each subscription. */
export const SERVICE_NAMES = ['gateway', 'runs', 'gates', 'escalation'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Header carrying a reply's credential on `human.>` messages (as on HTTP). */
export const AUTHORIZATION_HEADER = 'Authorization';

/** Header carrying the correlation id across HTTP, request/reply and JetStream. */
export const CORRELATION_HEADER = 'x-correlation-id';
