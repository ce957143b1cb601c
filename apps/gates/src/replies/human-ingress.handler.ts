import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  AuditOutcome,
  auditKeys,
  ErrorCode,
  GatehouseError,
  HumanIngressMessageDto,
  isValidGateKey,
  payloadHash,
  ReplyOrigin,
  topics,
} from '@gatehouse/contracts';
import { CONSUMERS, type InboundMessage, type MessageHandler } from '@gatehouse/messaging';
import { GatesRepository } from '../gates/gates.repository';
import { WorkflowEventsRepository } from '../gates/workflow-events.repository';
import { parseReplyCommand, type ReplyCommand } from './reply-command';
import { ReplyService, type ReplyOutcome } from './reply.service';
import { isUuid, validateDto } from '@gatehouse/contracts';

interface Target {
  workflowId: string;
  gateKey: string;
}

/** `human.<wid>.<g>`; undefined for any other shape of subject. */
export function parseHumanSubject(subject: string): Target | undefined {
  const parts = subject.split('.');
  if (parts.length !== 3 || parts[0] !== 'human' || !parts[1] || !parts[2]) return undefined;
  return { workflowId: parts[1], gateKey: parts[2] };
}

/** Builds the reply command of a bus message; throws the 400/404 the same reply would get over HTTP. */
export function ingressCommand(target: Target | undefined, body: unknown): ReplyCommand {
  if (!target) throw new GatehouseError(ErrorCode.GATE_NOT_FOUND, 'subject is not human.<workflowId>.<gateKey>');
  const msg = validateDto(HumanIngressMessageDto, body, 'message');
  if (msg.workflowId !== undefined && msg.workflowId.toLowerCase() !== target.workflowId.toLowerCase()) {
    throw new GatehouseError(ErrorCode.VALIDATION_FAILED, 'workflowId in the body does not match the subject');
  }
  if (msg.gateKey !== undefined && msg.gateKey !== target.gateKey) {
    throw new GatehouseError(ErrorCode.VALIDATION_FAILED, 'gateKey in the body does not match the subject');
  }
  return parseReplyCommand({
    workflowId: target.workflowId,
    gateKey: target.gateKey,
    topic: msg.topic ?? topics.human(target.gateKey),
    payload: (body as { payload: unknown }).payload,
    dedupeKey: msg.dedupeKey,
    origin: msg.origin ?? ReplyOrigin.JETSTREAM,
    actor: msg.actor ?? null,
  });
}

/** Refusals the reply rules already audited (once per dedupe key / distinct payload). */
const AUDITED_BY_RULES = new Set<ErrorCode>([ErrorCode.DEDUPE_CONFLICT, ErrorCode.GATE_CLOSED]);

/**
 * Replies published on JetStream (`human.<wid>.<g>`, topic `human:<g>`), judged by the same reply
 * service as every other surface. A refused message is settled, never retried: there is nobody
 * to answer, so a refusal the rules did not audit is recorded as `rejected_message` on the gate
 * (when the gate exists; an unknown gate gets zero writes). Not JSON: dead-lettered as poison.
 */
@Injectable()
export class HumanIngressHandler implements MessageHandler {
  readonly consumer = CONSUMERS.gatesHumanIngress;
  private readonly logger = new Logger(HumanIngressHandler.name);

  constructor(
    private readonly replies: ReplyService,
    private readonly gates: GatesRepository,
    private readonly events: WorkflowEventsRepository,
  ) {}

  async handle(tx: EntityManager, msg: InboundMessage): Promise<void> {
    const body = msg.json();
    const target = parseHumanSubject(msg.subject);
    let outcome: ReplyOutcome;
    try {
      outcome = await this.replies.apply(tx, ingressCommand(target, body));
    } catch (err) {
      if (!(err instanceof GatehouseError)) throw err;
      outcome = { ok: false, error: err };
    }
    if (outcome.ok) return;
    const { error } = outcome;
    this.logger.warn({
      msg: 'bus reply refused',
      subject: msg.subject,
      msgId: msg.msgId,
      error: error.code,
      reason: error.message,
    });
    if (!AUDITED_BY_RULES.has(error.code) && target) await this.auditRejected(tx, msg, target, body, error);
  }

  private async auditRejected(
    tx: EntityManager,
    msg: InboundMessage,
    target: Target,
    body: unknown,
    error: GatehouseError,
  ): Promise<void> {
    const wid = target.workflowId.toLowerCase();
    const g = target.gateKey;
    if (!isUuid(wid) || !isValidGateKey(g) || !(await this.gates.exists(tx, wid, g))) return;
    const b = (body ?? {}) as Record<string, unknown>;
    await this.events.audit(tx, wid, g, auditKeys.rejectedMessage(payloadHash(msg.raw)), {
      outcome: AuditOutcome.REJECTED_MESSAGE,
      dedupeKey: typeof b.dedupeKey === 'string' ? b.dedupeKey.slice(0, 200) : undefined,
      origin: typeof b.origin === 'string' ? b.origin.slice(0, 64) : ReplyOrigin.JETSTREAM,
      topic: topics.human(g),
      at: new Date().toISOString(),
      detail: { error: error.code, message: error.message, msgId: msg.msgId, subject: msg.subject },
    });
  }
}
