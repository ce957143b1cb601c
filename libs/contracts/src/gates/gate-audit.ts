import type { AuditOutcome } from '../abi/gate-abi';

/** One entry of the append-only `ui:<g>:audit` trail (gates.workflow_events.value). */
export interface GateAuditEntry {
  outcome: AuditOutcome;
  dedupeKey?: string;
  origin?: string;
  actor?: string | null;
  onBehalfOf?: string | null;
  payloadHash?: string;
  topic?: string;
  at: string;
  detail?: Record<string, unknown>;
}

/**
 * `gates.workflow_events.audit_key` of each audit entry: an entry is written at most once per key,
 * which is how "audited once per distinct conflicting payload / per dedupeKey" is enforced.
 */
export const auditKeys = {
  opened: () => 'opened',
  accepted: (dedupeKey: string) => `accepted:${dedupeKey}`,
  conflict: (dedupeKey: string, topic: string, payloadHash: string) => `conflict:${dedupeKey}:${topic}:${payloadHash}`,
  late: (dedupeKey: string) => `late:${dedupeKey}`,
  denied: (dedupeKey: string) => `denied:${dedupeKey}`,
  timedOut: () => 'timed_out',
  escalated: () => 'escalated',
  cancelled: () => 'cancelled',
  /** A JetStream reply that broke a rule; `fingerprint` is the SHA-256 of the raw message body. */
  rejectedMessage: (fingerprint: string) => `rejected:${fingerprint}`,
};

/** Deterministic outbox message ids (Nats-Msg-Id) of the facts the gates service announces. */
export const gateMsgIds = {
  gateOpened: (wid: string, g: string) => `gate-opened:${wid}:${g}`,
  gateDecided: (wid: string, g: string) => `gate-decided:${wid}:${g}`,
  gateCancelled: (wid: string, g: string) => `gate-cancelled:${wid}:${g}`,
  /** The `sys.>` copies of the gate facts (DESIGN section 10), one per fact. */
  sysGateOpened: (wid: string, g: string) => `sys:gate-opened:${wid}:${g}`,
  sysGateDecided: (wid: string, g: string) => `sys:gate-decided:${wid}:${g}`,
  sysGateTimedOut: (wid: string, g: string) => `sys:gate-timed-out:${wid}:${g}`,
  sysGateEscalated: (wid: string, g: string) => `sys:gate-escalated:${wid}:${g}`,
  sysGateCancelled: (wid: string, g: string) => `sys:gate-cancelled:${wid}:${g}`,
  /**
   * A refused bus reply, once per distinct message: `fingerprint` is the SHA-256 of the subject and
   * raw body, so a re-sent identical message is announced once (like its `rejected_message` audit).
   */
  sysRejectedReply: (fingerprint: string) => `sys:rejected-reply:${fingerprint}`,
};
