import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  AuditOutcome,
  auditKeys,
  DecidedBy,
  eventKeys,
  GatehouseError,
  GateState,
  type GateDecidedEvent,
  type GateDecisionValue,
  type GateReplyResult,
  type GateResult,
} from '@gatehouse/contracts';
import { OutboxService } from '@gatehouse/messaging';
import { GateAnnouncements } from '../gates/gate-announcements.service';
import { GatesRepository, type LockedGate } from '../gates/gates.repository';
import { WorkflowEventsRepository } from '../gates/workflow-events.repository';
import { InteractionsRepository } from './interactions.repository';
import { parseReplyCommand, type ReplyCommand } from './reply-command';
import { judgeReply, verdictError } from './reply-rules';

/**
 * The outcome of a reply inside its transaction. A refusal is returned rather than thrown, so
 * that the audit entry a 409 writes commits before the caller answers with the error.
 */
export type ReplyOutcome = { ok: true; result: GateReplyResult } | { ok: false; error: GatehouseError };

/** Human replies to gates, the same for every surface (request/reply from the gateway, JetStream). */
@Injectable()
export class ReplyService {
  constructor(
    private readonly outbox: OutboxService,
    private readonly gates: GatesRepository,
    private readonly events: WorkflowEventsRepository,
    private readonly interactions: InteractionsRepository,
    private readonly announce: GateAnnouncements,
  ) {}

  /** `rpc.gates.reply`: validates, applies in one transaction, then answers or throws the refusal. */
  async reply(raw: unknown): Promise<GateReplyResult> {
    const cmd = parseReplyCommand(raw);
    const outcome = await this.outbox.transaction((tx) => this.apply(tx, cmd));
    if (!outcome.ok) throw outcome.error;
    return outcome.result;
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
    const verdict = judgeReply(gate, recorded, {
      topic: cmd.topic,
      payloadHash: cmd.payloadHash,
      choice: cmd.payload.choice,
      rationale: cmd.payload.rationale,
    });
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
    await this.interactions.insert(tx, {
      workflowId: wid,
      gateKey: g,
      topic: cmd.topic,
      dedupeKey: cmd.dedupeKey,
      payload: cmd.payload,
      payloadHash: cmd.payloadHash,
      origin: cmd.origin,
      actor: cmd.actor,
      at,
    });
    await this.gates.markReceived(tx, wid, g, at);
    const rationale = cmd.payload.rationale ?? null;
    const result: GateResult = {
      choice: cmd.payload.choice,
      rationale,
      dedupeKey: cmd.dedupeKey,
      origin: cmd.origin,
      actor: cmd.actor,
      payloadHash: cmd.payloadHash,
      at,
    };
    await this.writeOnce(tx, wid, eventKeys.result(g), result);
    await this.writeOnce(tx, wid, eventKeys.decision(g), {
      decision,
      by: DecidedBy.HUMAN,
      at,
    } satisfies GateDecisionValue);
    await this.events.audit(tx, wid, g, auditKeys.accepted(cmd.dedupeKey), {
      outcome: AuditOutcome.ACCEPTED,
      dedupeKey: cmd.dedupeKey,
      origin: cmd.origin,
      actor: cmd.actor,
      payloadHash: cmd.payloadHash,
      topic: cmd.topic,
      at,
      detail: { choice: cmd.payload.choice, decision },
    });
    const decided: GateDecidedEvent = {
      workflowId: wid,
      gateKey: g,
      rootGateKey: gate.rootGateKey,
      state: GateState.RECEIVED,
      decision,
      by: DecidedBy.HUMAN,
      choice: cmd.payload.choice,
      rationale,
      patch: cmd.payload.patch ?? null,
      actor: cmd.actor,
      escalatedTo: null,
      at,
    };
    await this.announce.decided(tx, decided);
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
      payloadHash: cmd.payloadHash,
      topic: cmd.topic,
      at: gate.now,
      detail,
    });
  }
}
