import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  AuditOutcome,
  auditKeys,
  eventKeys,
  GatehouseError,
  GateState,
  type GateDecidedEvent,
  type GateDecisionValue,
  type GateReplyResult,
  type GateResult,
} from '@gatehouse/contracts';
import { OutboxService } from '@gatehouse/messaging';
import { isRetryableDbError } from '@gatehouse/persistence';
import { GateAnnouncements } from '../gates/gate-announcements.service';
import { GatesRepository, type LockedGate } from '../gates/gates.repository';
import { WorkflowEventsRepository } from '../gates/workflow-events.repository';
import { interactionFields, InteractionsRepository } from './interactions.repository';
import { parseReplyCommand, type ReplyCommand } from './reply-command';
import { acceptedReplyFacts, acceptedReplyRows } from './accepted-reply';
import { ReplyFastPathRepository } from './reply-fast-path.repository';
import { judgeReply, verdictError, type IncomingReply } from './reply-rules';

/**
 * The outcome of a reply inside its transaction. A refusal is returned rather than thrown, so
 * that the audit entry a 409 writes commits before the caller answers with the error.
 */
export type ReplyOutcome = { ok: true; result: GateReplyResult } | { ok: false; error: GatehouseError };

const incomingOf = (cmd: ReplyCommand): IncomingReply => ({
  topic: cmd.topic,
  payloadHash: cmd.payloadHash,
  actor: cmd.actor,
  choice: cmd.payload.choice,
  rationale: cmd.payload.rationale,
});

const isUniqueViolation = (err: unknown): boolean => (err as { code?: string })?.code === '23505';

/** Human replies to gates, the same for every surface (request/reply from the gateway, JetStream). */
@Injectable()
export class ReplyService {
  constructor(
    private readonly outbox: OutboxService,
    private readonly gates: GatesRepository,
    private readonly events: WorkflowEventsRepository,
    private readonly interactions: InteractionsRepository,
    private readonly announce: GateAnnouncements,
    private readonly fastPath: ReplyFastPathRepository,
    private readonly ds: DataSource,
  ) {}

  /**
   * `rpc.gates.reply`: validates, then judges against one unlocked read. Refusals that write
   * nothing and replays answer from that read; an accepted reply is one statement that writes only
   * if it still finds the gate PENDING. Everything else (a refusal with an audit entry, a lost race)
   * is judged again under the gate's lock, as the bus ingress always is.
   */
  async reply(raw: unknown): Promise<GateReplyResult> {
    const cmd = parseReplyCommand(raw);
    const { gate, recorded } = await this.fastPath.snapshot(
      this.ds.manager,
      cmd.workflowId,
      cmd.gateKey,
      cmd.dedupeKey,
    );
    const verdict = judgeReply(gate, recorded, incomingOf(cmd));
    switch (verdict.kind) {
      case 'duplicate':
        return { ok: true, state: verdict.state, duplicate: true };
      case 'accept':
        if (gate && (await this.acceptIfPending(cmd, gate.rootGateKey, verdict.choice.decision))) {
          return { ok: true, state: GateState.RECEIVED, duplicate: false };
        }
        break;
      case 'conflict':
      case 'late':
        break;
      default:
        throw verdictError(verdict, cmd.workflowId, cmd.gateKey, cmd.dedupeKey) as GatehouseError;
    }
    return this.replyLocked(cmd);
  }

  private async replyLocked(cmd: ReplyCommand): Promise<GateReplyResult> {
    const outcome = await this.outbox.transaction((tx) => this.apply(tx, cmd));
    if (!outcome.ok) throw outcome.error;
    return outcome.result;
  }

  /**
   * The accepted reply's writes in one autocommit statement. False when it wrote nothing: the gate
   * left PENDING since the read, or a write collided with a concurrent one (a unique violation, a
   * deadlock); the locked path then judges the reply against what was committed.
   */
  private async acceptIfPending(
    cmd: ReplyCommand,
    rootGateKey: string,
    decision: GateDecisionValue['decision'],
  ): Promise<boolean> {
    const rows = acceptedReplyRows(cmd, acceptedReplyFacts(cmd, rootGateKey, decision));
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
   * Rules 2-6 under the gate's row lock, so concurrent replies to one gate are judged one after
   * the other against committed state. Writes happen only for conflicts and late replies (one
   * audit entry each, once) and for an accepted reply.
   */
  async apply(tx: EntityManager, cmd: ReplyCommand): Promise<ReplyOutcome> {
    const { workflowId: wid, gateKey: g, dedupeKey } = cmd;
    const gate = await this.gates.lock(tx, wid, g);
    const recorded = gate ? await this.interactions.findByDedupeKey(tx, wid, g, dedupeKey) : undefined;
    const verdict = judgeReply(gate, recorded, incomingOf(cmd));
    switch (verdict.kind) {
      case 'duplicate':
        return { ok: true, result: { ok: true, state: verdict.state, duplicate: true } };
      case 'accept':
        await this.accept(tx, gate as LockedGate, cmd, verdict.choice.decision);
        return { ok: true, result: { ok: true, state: GateState.RECEIVED, duplicate: false } };
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
      default:
        break;
    }
    return { ok: false, error: verdictError(verdict, wid, g, dedupeKey) as GatehouseError };
  }

  private async accept(
    tx: EntityManager,
    gate: LockedGate,
    cmd: ReplyCommand,
    decision: GateDecisionValue['decision'],
  ): Promise<void> {
    const { workflowId: wid, gateKey: g } = cmd;
    const at = gate.now;
    const facts = acceptedReplyFacts(cmd, gate.rootGateKey, decision);
    await this.interactions.insert(tx, { workflowId: wid, gateKey: g, ...interactionFields(cmd), at });
    await this.gates.markReceived(tx, wid, g, at);
    await this.writeOnce(tx, wid, eventKeys.result(g), { ...facts.result, at } satisfies GateResult);
    await this.writeOnce(tx, wid, eventKeys.decision(g), { ...facts.decision, at } satisfies GateDecisionValue);
    await this.events.audit(tx, wid, g, auditKeys.accepted(cmd.dedupeKey), { ...facts.audit, at });
    await this.announce.decided(tx, { ...facts.decided, at } satisfies GateDecidedEvent);
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
