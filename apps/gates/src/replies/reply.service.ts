import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  applyPlanPatch,
  AuditOutcome,
  auditKeys,
  DecidedBy,
  Decision,
  ErrorCode,
  eventKeys,
  GatehouseError,
  GateState,
  type GateChoice,
  type GateDecidedEvent,
  type GateDecisionValue,
  type GateReplyResult,
  type GateResult,
  type GateVote,
  type JsonPatchOpDto,
  type Plan,
} from '@gatehouse/contracts';
import { OutboxService } from '@gatehouse/messaging';
import { isRetryableDbError } from '@gatehouse/persistence';
import { GateAnnouncements } from '../gates/gate-announcements.service';
import { GatesRepository, type LockedGate } from '../gates/gates.repository';
import { approvalsOf, VotesRepository } from '../gates/votes.repository';
import { WorkflowEventsRepository } from '../gates/workflow-events.repository';
import { interactionFields, InteractionsRepository } from './interactions.repository';
import { parseReplyCommand, type ReplyCommand } from './reply-command';
import { acceptedReplyFacts, acceptedReplyRows, type DecidedVersion } from './accepted-reply';
import { ReplyFastPathRepository, type ReplySnapshot } from './reply-fast-path.repository';
import { AUDITED_VERDICTS, judgeReply, verdictError, voterOf, type IncomingReply } from './reply-rules';

/**
 * The outcome of a reply inside its transaction. A refusal is returned rather than thrown, so
 * that the audit entry a 409 or 403 writes commits before the caller answers with the error.
 */
export type ReplyOutcome = { ok: true; result: GateReplyResult } | { ok: false; error: GatehouseError };

const incomingOf = (cmd: ReplyCommand, alreadyVoted: boolean): IncomingReply => ({
  topic: cmd.topic,
  payloadHash: cmd.payloadHash,
  actor: cmd.actor,
  actorRoles: cmd.actorRoles,
  choice: cmd.payload.choice,
  rationale: cmd.payload.rationale,
  planHash: cmd.payload.planHash,
  alreadyVoted,
});

const isUniqueViolation = (err: unknown): boolean => (err as { code?: string })?.code === '23505';

const voteOf = (cmd: ReplyCommand, choice: GateChoice, planHash: string, at: string): GateVote => ({
  actor: voterOf(cmd.actor),
  choice: choice.value,
  decision: choice.decision,
  dedupeKey: cmd.dedupeKey,
  origin: cmd.origin,
  planHash,
  at,
});

type SnapshotGate = NonNullable<ReplySnapshot['gate']>;

/**
 * A vote the fast path may write: it decides the gate by itself (a `no`, or the one approval a gate
 * needs) and no approval is counted yet, so the vote list is this vote alone.
 */
function decidesAlone(gate: SnapshotGate, choice: GateChoice): boolean {
  if (gate.approvalCount !== 0 || gate.planHash === null) return false;
  return choice.decision === Decision.REJECT || gate.requiredApprovals === 1;
}

/** The version an approval with a patch makes (null: the same version); undefined when the patch does not apply. */
function patchedVersion(
  planHash: string,
  plan: Plan,
  planPatch: JsonPatchOpDto[],
  patch: JsonPatchOpDto[] | undefined,
): { planHash: string; plan: Plan; planPatch: JsonPatchOpDto[] } | null | undefined {
  if (!patch?.length) return null;
  const patched = applyPlanPatch(plan, patch);
  if (!patched.ok) return undefined;
  if (patched.planHash === planHash) return null;
  return { planHash: patched.planHash, plan: patched.plan, planPatch: [...planPatch, ...patch] };
}

/**
 * Human replies to gates, the same for every surface (request/reply from the gateway, JetStream): the
 * rules are judged by judgeReply alone; votes are counted under the gate's lock, except a vote that
 * decides by itself, which the fast path writes in one statement guarded by the state it was judged on.
 */
@Injectable()
export class ReplyService {
  constructor(
    private readonly outbox: OutboxService,
    private readonly gates: GatesRepository,
    private readonly events: WorkflowEventsRepository,
    private readonly interactions: InteractionsRepository,
    private readonly votes: VotesRepository,
    private readonly announce: GateAnnouncements,
    private readonly fastPath: ReplyFastPathRepository,
    private readonly ds: DataSource,
  ) {}

  /**
   * `rpc.gates.reply`: validates, then judges against one unlocked read. Refusals that write
   * nothing and replays answer from that read; a vote that decides alone is one statement that writes
   * only if it still finds the gate as judged. Everything else (a vote to count, a refusal with an audit
   * entry, a lost race) is judged again under the gate's lock, as the bus ingress always is.
   */
  async reply(raw: unknown): Promise<GateReplyResult> {
    const cmd = parseReplyCommand(raw);
    const snap = await this.fastPath.snapshot(
      this.ds.manager,
      cmd.workflowId,
      cmd.gateKey,
      cmd.dedupeKey,
      voterOf(cmd.actor),
      Boolean(cmd.payload.patch?.length),
    );
    const { gate } = snap;
    const verdict = judgeReply(gate, snap.recorded, incomingOf(cmd, snap.alreadyVoted));
    switch (verdict.kind) {
      case 'duplicate':
        return { ok: true, state: verdict.state, duplicate: true };
      case 'accept':
        if (gate && decidesAlone(gate, verdict.choice) && (await this.acceptIfPending(cmd, gate, verdict.choice))) {
          return { ok: true, state: GateState.RECEIVED, duplicate: false };
        }
        break;
      default:
        if (!AUDITED_VERDICTS.has(verdict.kind)) {
          throw verdictError(verdict, cmd.workflowId, cmd.gateKey, cmd.dedupeKey) as GatehouseError;
        }
    }
    return this.replyLocked(cmd);
  }

  private async replyLocked(cmd: ReplyCommand): Promise<GateReplyResult> {
    const outcome = await this.outbox.transaction((tx) => this.apply(tx, cmd));
    if (!outcome.ok) throw outcome.error;
    return outcome.result;
  }

  /**
   * The deciding vote's writes in one autocommit statement. False when it wrote nothing: the gate
   * left PENDING or got a vote since the read, or a write collided with a concurrent one (a unique
   * violation, a deadlock); the locked path then judges the reply against what was committed.
   */
  private async acceptIfPending(cmd: ReplyCommand, gate: SnapshotGate, choice: GateChoice): Promise<boolean> {
    const judged = gate.planHash as string;
    const approving = choice.decision === Decision.APPROVE;
    const next = approving ? patchedVersion(judged, gate.plan ?? {}, gate.planPatch ?? [], cmd.payload.patch) : null;
    // A patch that does not apply (or a gate without its plan): the locked path answers it.
    if (next === undefined || (approving && cmd.payload.patch?.length && gate.plan === null)) return false;
    const planHash = next?.planHash ?? judged;
    // The statement stamps the vote's `at` with the instant the gate closed.
    const vote = voteOf(cmd, choice, planHash, '');
    const facts = acceptedReplyFacts(cmd, gate.rootGateKey, choice.decision, {
      by: DecidedBy.HUMAN,
      planHash,
      planPatch: next?.planPatch ?? gate.planPatch ?? [],
      votes: [vote],
    });
    const rows = acceptedReplyRows(cmd, facts, vote, judged, next && { plan: next.plan, planPatch: next.planPatch });
    let at: string | undefined;
    try {
      at = await this.fastPath.acceptIfPending(this.ds.manager, rows);
    } catch (err) {
      if (isUniqueViolation(err) || isRetryableDbError(err)) return false;
      throw err;
    }
    if (at === undefined) return false;
    this.outbox.kick();
    return true;
  }

  /**
   * The reply rules under the gate's row lock, so concurrent votes on one gate are judged and counted
   * one after the other against committed state. Writes happen only for refusals the rules audit
   * (once each) and for a vote.
   */
  async apply(tx: EntityManager, cmd: ReplyCommand): Promise<ReplyOutcome> {
    const { workflowId: wid, gateKey: g, dedupeKey } = cmd;
    const gate = await this.gates.lock(tx, wid, g);
    const recorded = gate ? await this.interactions.findByDedupeKey(tx, wid, g, dedupeKey) : undefined;
    const current = gate ? await this.votes.ofVersion(tx, wid, g, gate.planHash) : [];
    const voter = voterOf(cmd.actor);
    const verdict = judgeReply(
      gate,
      recorded,
      incomingOf(
        cmd,
        current.some((v) => v.actor === voter),
      ),
    );
    switch (verdict.kind) {
      case 'duplicate':
        return { ok: true, result: { ok: true, state: verdict.state, duplicate: true } };
      case 'accept':
        return this.vote(tx, gate as LockedGate, cmd, verdict.choice, approvalsOf(current));
      case 'conflict':
        await this.auditRefusal(
          tx,
          gate as LockedGate,
          cmd,
          AuditOutcome.CONFLICT,
          auditKeys.conflict(dedupeKey, cmd.topic, cmd.payloadHash),
          {
            recordedTopic: recorded?.topic,
            recordedPayloadHash: recorded?.payloadHash,
            recordedActor: recorded?.actor,
          },
        );
        break;
      case 'late':
        await this.auditRefusal(tx, gate as LockedGate, cmd, AuditOutcome.LATE, auditKeys.late(dedupeKey), {
          state: verdict.state,
        });
        break;
      case 'role-not-allowed':
      case 'self-approval': {
        const error = verdictError(verdict, wid, g, dedupeKey) as GatehouseError;
        await this.auditRefusal(tx, gate as LockedGate, cmd, AuditOutcome.DENIED, auditKeys.denied(dedupeKey), {
          error: error.code,
          choice: cmd.payload.choice,
        });
        return { ok: false, error };
      }
      default:
        break;
    }
    return { ok: false, error: verdictError(verdict, wid, g, dedupeKey) as GatehouseError };
  }

  /**
   * An eligible vote (DESIGN section 11): a `no` decides `reject` at once; a `yes` counts for the plan
   * version it makes (a patch makes a new one, and approvals of the older version stop counting) and
   * decides `approve` when it is the N-th distinct approval of that version.
   */
  private async vote(
    tx: EntityManager,
    gate: LockedGate,
    cmd: ReplyCommand,
    choice: GateChoice,
    counted: GateVote[],
  ): Promise<ReplyOutcome> {
    const { workflowId: wid, gateKey: g } = cmd;
    const at = gate.now;
    const planHash = gate.planHash ?? (await this.promptPlanHash(tx, gate));
    if (choice.decision === Decision.REJECT) {
      const vote = voteOf(cmd, choice, planHash, at);
      await this.votes.insert(tx, wid, g, vote);
      await this.decide(tx, gate, cmd, choice.decision, {
        by: DecidedBy.HUMAN,
        planHash,
        planPatch: gate.planPatch,
        votes: [...counted, vote],
      });
      return { ok: true, result: { ok: true, state: GateState.RECEIVED, duplicate: false } };
    }
    const plan = gate.plan ?? ((await this.events.gateEvents(tx, wid, g)).prompt?.plan as Plan);
    const next = patchedVersion(planHash, plan, gate.planPatch, cmd.payload.patch);
    if (next === undefined) {
      const patched = applyPlanPatch(plan, cmd.payload.patch);
      return {
        ok: false,
        error: new GatehouseError(ErrorCode.VALIDATION_FAILED, `the patch does not apply to the plan of gate ${g}`, [
          { field: 'payload.patch', errors: [patched.ok ? 'does not apply' : patched.message] },
        ]),
      };
    }
    const version = next ?? { planHash, plan, planPatch: gate.planPatch };
    const vote = voteOf(cmd, choice, version.planHash, at);
    const votes = [...(version.planHash === planHash ? counted : []), vote];
    await this.votes.insert(tx, wid, g, vote);
    await this.gates.recordVersion(tx, wid, g, {
      planHash: version.planHash,
      plan: version.plan ?? {},
      planPatch: version.planPatch,
      approvalCount: votes.length,
    });
    if (votes.length >= gate.requiredApprovals) {
      await this.decide(tx, gate, cmd, choice.decision, { by: DecidedBy.HUMAN, ...version, votes });
      return { ok: true, result: { ok: true, state: GateState.RECEIVED, duplicate: false } };
    }
    // Counted, not decisive: the ledger row and the audit entry; the gate stays PENDING.
    await this.interactions.insert(tx, { workflowId: wid, gateKey: g, ...interactionFields(cmd), at });
    await this.events.audit(tx, wid, g, auditKeys.accepted(cmd.dedupeKey), {
      outcome: AuditOutcome.ACCEPTED,
      dedupeKey: cmd.dedupeKey,
      origin: cmd.origin,
      actor: cmd.actor,
      ...(cmd.onBehalfOf ? { onBehalfOf: cmd.onBehalfOf } : {}),
      payloadHash: cmd.payloadHash,
      topic: cmd.topic,
      at,
      detail: {
        choice: cmd.payload.choice,
        vote: 'counted',
        approvals: votes.length,
        requiredApprovals: gate.requiredApprovals,
        planHash: version.planHash,
        ...(version.planHash !== planHash ? { supersededPlanHash: planHash, dismissedApprovals: counted.length } : {}),
      },
    });
    return { ok: true, result: { ok: true, state: GateState.PENDING, duplicate: false } };
  }

  private async decide(
    tx: EntityManager,
    gate: LockedGate,
    cmd: ReplyCommand,
    decision: GateDecisionValue['decision'],
    version: DecidedVersion,
  ): Promise<void> {
    const { workflowId: wid, gateKey: g } = cmd;
    const at = gate.now;
    const facts = acceptedReplyFacts(cmd, gate.rootGateKey, decision, version);
    await this.interactions.insert(tx, { workflowId: wid, gateKey: g, ...interactionFields(cmd), at });
    await this.gates.markReceived(tx, wid, g, at);
    await this.writeOnce(tx, wid, eventKeys.result(g), { ...facts.result, at } satisfies GateResult);
    await this.writeOnce(tx, wid, eventKeys.decision(g), { ...facts.decision, at } satisfies GateDecisionValue);
    await this.events.audit(tx, wid, g, auditKeys.accepted(cmd.dedupeKey), { ...facts.audit, at });
    await this.announce.decided(tx, { ...facts.decided, at } satisfies GateDecidedEvent);
  }

  /** A gate opened before plan versions were recorded decides on its prompt's plan. */
  private async promptPlanHash(tx: EntityManager, gate: LockedGate): Promise<string> {
    const { prompt } = await this.events.gateEvents(tx, gate.workflowId, gate.gateKey);
    if (!prompt) throw new Error(`gate ${gate.workflowId}/${gate.gateKey} has no prompt event`);
    return prompt.planHash;
  }

  /** The gate was PENDING under our lock, so its one-time events cannot exist yet. */
  private async writeOnce(tx: EntityManager, wid: string, key: string, value: unknown): Promise<void> {
    if (!(await this.events.writeOnce(tx, wid, key, value)))
      throw new Error(`event ${key} of run ${wid} already exists`);
  }

  private async auditRefusal(
    tx: EntityManager,
    gate: LockedGate,
    cmd: ReplyCommand,
    outcome: AuditOutcome,
    auditKey: string,
    detail: Record<string, unknown>,
  ): Promise<void> {
    await this.events.audit(tx, cmd.workflowId, cmd.gateKey, auditKey, {
      outcome,
      dedupeKey: cmd.dedupeKey,
      origin: cmd.origin,
      actor: cmd.actor,
      onBehalfOf: cmd.onBehalfOf,
      payloadHash: cmd.payloadHash,
      topic: cmd.topic,
      at: gate.now,
      detail,
    });
  }
}
