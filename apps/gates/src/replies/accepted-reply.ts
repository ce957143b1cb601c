import {
  AuditOutcome,
  auditKeys,
  DecidedBy,
  Decision,
  eventKeys,
  GateState,
  type GateAuditEntry,
  type GateDecidedEvent,
  type GateDecisionValue,
  type GateResult,
  type GateVote,
  type JsonPatchOpDto,
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

/** The plan version a decision is about and the votes that decided it. */
export interface DecidedVersion {
  by: DecidedBy;
  /** The version decided on (null only for a gate opened before versions were recorded). */
  planHash: string | null;
  /** The patch from the compiled plan to that version. */
  planPatch: JsonPatchOpDto[];
  /** The votes that counted, the deciding one last. */
  votes: GateVote[];
}

/** The one place the locked path, the fast path and the policy build a decided gate's values from. */
export function acceptedReplyFacts(
  cmd: ReplyCommand,
  rootGateKey: string,
  decision: GateDecisionValue['decision'],
  version: DecidedVersion,
): AcceptedReplyFacts {
  const rationale = cmd.payload.rationale ?? null;
  const versioned = {
    ...(version.planHash ? { planHash: version.planHash } : {}),
    votes: version.votes,
  };
  return {
    result: {
      choice: cmd.payload.choice,
      rationale,
      dedupeKey: cmd.dedupeKey,
      origin: cmd.origin,
      actor: cmd.actor,
      ...(cmd.onBehalfOf ? { onBehalfOf: cmd.onBehalfOf } : {}),
      payloadHash: cmd.payloadHash,
      ...versioned,
    },
    decision: { decision, by: version.by, ...versioned },
    audit: {
      outcome: AuditOutcome.ACCEPTED,
      dedupeKey: cmd.dedupeKey,
      origin: cmd.origin,
      actor: cmd.actor,
      ...(cmd.onBehalfOf ? { onBehalfOf: cmd.onBehalfOf } : {}),
      payloadHash: cmd.payloadHash,
      topic: cmd.topic,
      detail: {
        choice: cmd.payload.choice,
        decision,
        approvals: version.votes.filter((v) => v.decision === Decision.APPROVE).length,
      },
    },
    decided: {
      workflowId: cmd.workflowId,
      gateKey: cmd.gateKey,
      rootGateKey,
      state: GateState.RECEIVED,
      decision,
      by: version.by,
      choice: cmd.payload.choice,
      rationale,
      patch: version.planPatch.length > 0 ? version.planPatch : null,
      planHash: version.planHash,
      actor: cmd.actor,
      escalatedTo: null,
    },
  };
}

/**
 * The fast path's rows, in the locked path's order: `ui:<g>:result`, `decision:<g>`, the audit
 * entry; then the messages GateAnnouncements.decided writes for a RECEIVED gate.
 */
export function acceptedReplyRows(
  cmd: ReplyCommand,
  facts: AcceptedReplyFacts,
  vote: GateVote,
  judgedPlanHash: string,
  newVersion: AcceptedReplyRows['newVersion'],
): AcceptedReplyRows {
  const { workflowId: wid, gateKey: g } = cmd;
  return {
    workflowId: wid,
    gateKey: g,
    ledger: interactionFields(cmd),
    vote,
    judgedPlanHash,
    newVersion,
    events: [
      { key: eventKeys.result(g), value: facts.result, auditKey: null },
      { key: eventKeys.decision(g), value: facts.decision, auditKey: null },
      { key: eventKeys.audit(g), value: facts.audit, auditKey: auditKeys.accepted(cmd.dedupeKey) },
    ],
    // The event without `at`, which the statement adds.
    outbox: decidedMessages(facts.decided),
  };
}
