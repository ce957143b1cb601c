import { Injectable } from '@nestjs/common';
import {
  GateState,
  type GateChoice,
  type GatePolicy,
  type GateVote,
  type JsonPatchOpDto,
  type Plan,
} from '@gatehouse/contracts';
import type { OutboxMessage } from '@gatehouse/messaging';
import { queryRows, type Db } from '@gatehouse/persistence';
import type { InteractionFields } from './interactions.repository';
import type { GateFacts, RecordedReply } from './reply-rules';

/** The gate as one reply sees it without a lock, with what the ledger holds under its dedupe key. */
export interface ReplySnapshot {
  gate:
    | (GateFacts & {
        rootGateKey: string;
        requiredApprovals: number;
        approvalCount: number;
        /** Read only for a reply with a patch: the version it patches. */
        plan: Plan | null;
        planPatch: JsonPatchOpDto[] | null;
      })
    | undefined;
  recorded: RecordedReply | undefined;
  /** The voter already has a vote on the gate's current plan version. */
  alreadyVoted: boolean;
}

/** Rows of `workflow_events` and `outbox` an accepted reply writes; `at` is added by the statement. */
export interface AcceptedReplyRows {
  workflowId: string;
  gateKey: string;
  ledger: InteractionFields;
  /** The deciding vote; its `at` is the statement's. */
  vote: GateVote;
  /** The version the vote was judged on (the gate must still be at it), and the one it decides. */
  judgedPlanHash: string;
  /** Set when the vote's patch made a new version. */
  newVersion: { plan: Plan; planPatch: JsonPatchOpDto[] } | null;
  /** In insertion order; `auditKey` only on the audit entry. */
  events: { key: string; value: object; auditKey: string | null }[];
  /** In insertion order; each payload without its `at`. */
  outbox: OutboxMessage[];
}

interface RawSnapshot {
  state: GateState;
  choices: GateChoice[];
  policy: GatePolicy;
  root_gate_key: string;
  allowed_roles: string[] | null;
  self_approval_allowed: boolean;
  requested_by: string | null;
  require_plan_hash: boolean;
  plan_hash: string | null;
  required_approvals: number;
  approval_count: number;
  plan: Plan | null;
  plan_patch: JsonPatchOpDto[] | null;
  already_voted: boolean;
  recorded_topic: string | null;
  recorded_payload_hash: string | null;
  recorded_actor: string | null;
}

/** The database clock to the millisecond, as JavaScript's toISOString prints it. */
const ISO_MS = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/**
 * The reply fast path: one read, then one autocommit statement that writes an accepted reply only
 * if it wins the gate. Gate facts a reply is judged on (choices, policy, root key) never change
 * after the gate opens, and a recorded reply is immutable, so the read needs no lock.
 */
@Injectable()
export class ReplyFastPathRepository {
  async snapshot(
    db: Db,
    workflowId: string,
    gateKey: string,
    dedupeKey: string,
    voter: string,
    withPlan: boolean,
  ): Promise<ReplySnapshot> {
    const [r] = await queryRows<RawSnapshot>(
      db,
      `SELECT g.state, g.choices, g.policy, COALESCE(g.root_gate_key, g.gate_key) AS root_gate_key,
              g.allowed_roles, g.self_approval_allowed, g.requested_by, g.require_plan_hash, g.plan_hash,
              g.required_approvals, g.approval_count,
              CASE WHEN $5::boolean THEN g.plan END AS plan, CASE WHEN $5::boolean THEN g.plan_patch END AS plan_patch,
              EXISTS (SELECT 1 FROM gates.gate_votes v
                      WHERE v.workflow_id = g.workflow_id AND v.gate_key = g.gate_key
                        AND v.plan_hash = g.plan_hash AND v.actor = $4) AS already_voted,
              h.topic AS recorded_topic, h.payload_hash AS recorded_payload_hash, h.actor AS recorded_actor
       FROM gates.gates g
       LEFT JOIN gates.human_interactions h
         ON h.workflow_id = g.workflow_id AND h.gate_key = g.gate_key AND h.dedupe_key = $3
       WHERE g.workflow_id = $1 AND g.gate_key = $2`,
      [workflowId, gateKey, dedupeKey, voter, withPlan],
    );
    if (!r) return { gate: undefined, recorded: undefined, alreadyVoted: false };
    return {
      gate: {
        state: r.state,
        choices: r.choices,
        policy: r.policy,
        rootGateKey: r.root_gate_key,
        allowedRoles: r.allowed_roles,
        selfApprovalAllowed: r.self_approval_allowed,
        requestedBy: r.requested_by,
        requirePlanHash: r.require_plan_hash,
        planHash: r.plan_hash,
        requiredApprovals: r.required_approvals,
        approvalCount: r.approval_count,
        plan: r.plan,
        planPatch: r.plan_patch,
      },
      recorded:
        r.recorded_topic !== null && r.recorded_payload_hash !== null
          ? { topic: r.recorded_topic, payloadHash: r.recorded_payload_hash, actor: r.recorded_actor }
          : undefined,
      alreadyVoted: r.already_voted,
    };
  }

  /**
   * For a vote that decides a gate on its own (no approval counted yet): closes the gate RECEIVED if it
   * is still PENDING at the version the vote was judged on, with no approval, and in the same statement
   * records the version the vote made (if its patch made one) and writes the ledger row, the vote, the
   * events and the outbox rows, all stamped with the instant the gate closed (the deciding vote's `at`
   * too; the clock truncated to ms, so closed_at, created_at and every `at` are the same instant).
   * Returns that instant, or undefined when the gate was no longer as judged: then nothing was written.
   */
  async acceptIfPending(db: Db, rows: AcceptedReplyRows): Promise<string | undefined> {
    const { ledger } = rows;
    const params: unknown[] = [
      rows.workflowId,
      rows.gateKey,
      ledger.topic,
      ledger.dedupeKey,
      JSON.stringify(ledger.payload),
      ledger.payloadHash,
      ledger.origin,
      ledger.actor,
      ledger.onBehalfOf,
      rows.vote.actor,
      rows.vote.planHash,
      rows.vote.choice,
      rows.vote.decision,
      rows.vote.decision === 'approve' ? 1 : 0,
      rows.judgedPlanHash,
      rows.newVersion ? JSON.stringify(rows.newVersion.plan) : null,
      rows.newVersion ? JSON.stringify(rows.newVersion.planPatch) : null,
    ];
    const param = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    const events = rows.events
      .map(
        (e, n) => `(${n}, ${param(e.key)}::text, ${param(JSON.stringify(e.value))}::jsonb, ${param(e.auditKey)}::text)`,
      )
      .join(', ');
    const outbox = rows.outbox
      .map(
        (m, n) =>
          `(${n}, ${param(m.msgId)}::text, ${param(m.subject)}::text, ${param(JSON.stringify(m.payload))}::jsonb, ${param(JSON.stringify(m.headers ?? {}))}::jsonb)`,
      )
      .join(', ');
    // `n` keeps each table's rows in the order the locked path inserts them.
    const found = await queryRows<{ at: string }>(
      db,
      `WITH won AS (
         UPDATE gates.gates SET state = 'RECEIVED', closed_at = date_trunc('milliseconds', clock_timestamp()),
                approval_count = $14::int, plan_hash = $11::text,
                plan = COALESCE($16::jsonb, plan), plan_patch = COALESCE($17::jsonb, plan_patch)
         WHERE workflow_id = $1::uuid AND gate_key = $2::text AND state = 'PENDING'
           AND approval_count = 0 AND plan_hash = $15::text
         RETURNING closed_at, to_char(closed_at AT TIME ZONE 'UTC', ${ISO_MS}) AS at
       ), vote AS (
         INSERT INTO gates.gate_votes
           (workflow_id, gate_key, actor, plan_hash, choice, decision, dedupe_key, origin, created_at)
         SELECT $1::uuid, $2::text, $10::text, $11::text, $12::text, $13::text, $4::text, $7::text, won.closed_at
         FROM won
       ), ledger AS (
         INSERT INTO gates.human_interactions
           (workflow_id, gate_key, topic, dedupe_key, payload, payload_hash, origin, actor, on_behalf_of, created_at)
         SELECT $1::uuid, $2::text, $3::text, $4::text, $5::jsonb, $6::text, $7::text, $8::text, $9::text, won.closed_at
         FROM won
       ), events AS (
         INSERT INTO gates.workflow_events (workflow_id, key, value, audit_key)
         SELECT $1::uuid, e.key, (CASE WHEN e.value ? 'votes' THEN jsonb_set(e.value, '{votes,-1,at}', to_jsonb(won.at)) ELSE e.value END)
                || jsonb_build_object('at', won.at), e.audit_key
         FROM won CROSS JOIN (VALUES ${events}) AS e(n, key, value, audit_key)
         ORDER BY e.n
       ), outbox AS (
         INSERT INTO gates.outbox (msg_id, subject, payload, headers)
         SELECT m.msg_id, m.subject, m.payload || jsonb_build_object('at', won.at), m.headers
         FROM won CROSS JOIN (VALUES ${outbox}) AS m(n, msg_id, subject, payload, headers)
         ORDER BY m.n
         ON CONFLICT (msg_id) DO NOTHING
       )
       SELECT at FROM won`,
      params,
    );
    return found[0]?.at;
  }
}
