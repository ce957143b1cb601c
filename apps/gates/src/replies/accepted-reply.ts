import {
  AuditOutcome,
  auditKeys,
  DecidedBy,
  eventKeys,
  GateState,
  type GateAuditEntry,
  type GateDecidedEvent,
  type GateDecisionValue,
  type GateResult,
} from '@gatehouse/contracts';
import { decidedMessages } from '../gates/gate-announcements.service';
import { interactionFields } from './interactions.repository';
import type { AcceptedReplyRows } from './reply-fast-path.repository';
import type { ReplyCommand } from './reply-command';

type Untimed<T> = Omit<T, 'at'>;

/** What an accepted reply records, before the instant the gate closed is known. */
export interface AcceptedReplyFacts {
  result: Untimed<GateResult>;
  decision: Untimed<GateDecisionValue>;
  audit: Untimed<GateAuditEntry>;
  decided: Untimed<GateDecidedEvent>;
}

/** The one place both the locked and the fast path build an accepted reply's values from. */
export function acceptedReplyFacts(
  cmd: ReplyCommand,
  rootGateKey: string,
  decision: GateDecisionValue['decision'],
): AcceptedReplyFacts {
  const rationale = cmd.payload.rationale ?? null;
  return {
    result: {
      choice: cmd.payload.choice,
      rationale,
      dedupeKey: cmd.dedupeKey,
      origin: cmd.origin,
      actor: cmd.actor,
      ...(cmd.onBehalfOf ? { onBehalfOf: cmd.onBehalfOf } : {}),
      payloadHash: cmd.payloadHash,
    },
    decision: { decision, by: DecidedBy.HUMAN },
    audit: {
      outcome: AuditOutcome.ACCEPTED,
      dedupeKey: cmd.dedupeKey,
      origin: cmd.origin,
      actor: cmd.actor,
      ...(cmd.onBehalfOf ? { onBehalfOf: cmd.onBehalfOf } : {}),
      payloadHash: cmd.payloadHash,
      topic: cmd.topic,
      detail: { choice: cmd.payload.choice, decision },
    },
    decided: {
      workflowId: cmd.workflowId,
      gateKey: cmd.gateKey,
      rootGateKey,
      state: GateState.RECEIVED,
      decision,
      by: DecidedBy.HUMAN,
      choice: cmd.payload.choice,
      rationale,
      patch: cmd.payload.patch ?? null,
      actor: cmd.actor,
      escalatedTo: null,
    },
  };
}

/**
 * The fast path's rows, in the locked path's order: `ui:<g>:result`, `decision:<g>`, the audit
 * entry; then the messages GateAnnouncements.decided writes for a RECEIVED gate.
 */
export function acceptedReplyRows(cmd: ReplyCommand, facts: AcceptedReplyFacts): AcceptedReplyRows {
  const { workflowId: wid, gateKey: g } = cmd;
  return {
    workflowId: wid,
    gateKey: g,
    ledger: interactionFields(cmd),
    events: [
      { key: eventKeys.result(g), value: facts.result, auditKey: null },
      { key: eventKeys.decision(g), value: facts.decision, auditKey: null },
      { key: eventKeys.audit(g), value: facts.audit, auditKey: auditKeys.accepted(cmd.dedupeKey) },
    ],
    // The event without `at`, which the statement adds.
    outbox: decidedMessages(facts.decided),
  };
}
