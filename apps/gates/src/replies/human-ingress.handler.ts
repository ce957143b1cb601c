import { createHash } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  AuditOutcome,
  auditKeys,
  AUTHORIZATION_HEADER,
  ErrorCode,
  GatehouseError,
  HumanIngressMessageDto,
  isValidGateKey,
  payloadHash,
  ReplyOrigin,
  topics,
} from '@gatehouse/contracts';
import { CONSUMERS, PoisonMessageError, type InboundMessage, type MessageHandler } from '@gatehouse/messaging';
import { GateAnnouncements } from '../gates/gate-announcements.service';
import { GatesRepository } from '../gates/gates.repository';
import { WorkflowEventsRepository } from '../gates/workflow-events.repository';
import { parseReplyCommand, type ReplyCommand } from './reply-command';
import { ReplyMetrics } from './reply-metrics';
import { ReplyService, type ReplyOutcome } from './reply.service';
import { isUuid, validateDto } from '@gatehouse/contracts';
import { ACTOR_HEADER, Authenticator, type Principal } from '@gatehouse/identity';

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

/**
 * Builds the reply command of a bus message; throws the 400/404 the same reply would get over HTTP.
 * The actor is the message's principal; a forwarded body's `actor` field records nothing.
 */
export function ingressCommand(target: Target | undefined, body: unknown, principal: Principal): ReplyCommand {
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
    actor: principal.id,
    actorRoles: [...principal.roles],
  });
}

/** Refusals the reply rules already audited (once per dedupe key / distinct payload). */
const AUDITED_BY_RULES = new Set<ErrorCode>([
  ErrorCode.DEDUPE_CONFLICT,
  ErrorCode.GATE_CLOSED,
  ErrorCode.ROLE_NOT_ALLOWED,
  ErrorCode.SELF_APPROVAL,
]);

/** The message body; a body that is not JSON is refused like any other bad reply (rule 1), not dead-lettered. */
function bodyOf(msg: InboundMessage): unknown {
  try {
    return msg.json();
  } catch (err) {
    if (err instanceof PoisonMessageError)
      throw new GatehouseError(ErrorCode.INVALID_JSON, 'the message body is not valid JSON');
    throw err;
  }
}

function parsedOrUndefined(msg: InboundMessage): unknown {
  try {
    return msg.json();
  } catch {
    return undefined;
  }
}

/** A header of the message, whatever the case its publisher gave its name. */
function headerOf(msg: InboundMessage, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const key = Object.keys(msg.headers).find((k) => k.toLowerCase() === wanted);
  return key === undefined ? undefined : msg.headers[key];
}

/** Identifies one distinct bus message (subject and raw body) for its announcement's message id. */
export function messageFingerprint(subject: string, raw: string): string {
  return createHash('sha256').update(subject).update('\n').update(raw).digest('hex');
}

/**
 * Replies published on JetStream (`human.<wid>.<g>`, topic `human:<g>`), judged by the same reply
 * service as every other surface. A refused message is settled, never retried: there is nobody
 * to answer, so it is announced on `sys.gatehouse.rejected-reply` (once per distinct message), and
 * a refusal the rules did not audit is recorded as `rejected_message` on the gate (when the gate
 * exists; an unknown gate gets no gate writes). A body that is not JSON is such a refusal too
 * (INVALID_JSON): a sender's mistake, not a poison message, so it is not dead-lettered.
 */
@Injectable()
export class HumanIngressHandler implements MessageHandler {
  readonly consumer = CONSUMERS.gatesHumanIngress;
  private readonly logger = new Logger(HumanIngressHandler.name);

  constructor(
    private readonly replies: ReplyService,
    private readonly gates: GatesRepository,
    private readonly events: WorkflowEventsRepository,
    private readonly announce: GateAnnouncements,
    private readonly metrics: ReplyMetrics,
    private readonly auth: Authenticator,
  ) {}

  async handle(tx: EntityManager, msg: InboundMessage): Promise<void> {
    const target = parseHumanSubject(msg.subject);
    let body: unknown;
    let outcome: ReplyOutcome;
    try {
      // First of the reply rules with identity (DESIGN section 11): who sent it, then the rest.
      const principal = await this.auth.authenticate({
        authorization: headerOf(msg, AUTHORIZATION_HEADER),
        actor: headerOf(msg, ACTOR_HEADER),
      });
      body = bodyOf(msg);
      outcome = await this.replies.apply(tx, ingressCommand(target, body, principal));
    } catch (err) {
      if (!(err instanceof GatehouseError)) throw err;
      // The identity provider could not be asked: retried later, not refused.
      if (err.code === ErrorCode.SERVICE_UNAVAILABLE) throw err;
      outcome = { ok: false, error: err };
    }
    if (outcome.ok) {
      this.metrics.judged('jetstream', outcome.result);
      return;
    }
    const { error } = outcome;
    // Refused before its body was read (401): the body still names its dedupe key for the report.
    body ??= parsedOrUndefined(msg);
    this.metrics.refused('jetstream', error);
    this.logger.warn({
      msg: 'bus reply refused',
      subject: msg.subject,
      msgId: msg.msgId,
      error: error.code,
      reason: error.message,
    });
    if (!AUDITED_BY_RULES.has(error.code) && target) await this.auditRejected(tx, msg, target, body, error);
    await this.announceRejected(tx, msg, target, body, error);
  }

  private async announceRejected(
    tx: EntityManager,
    msg: InboundMessage,
    target: Target | undefined,
    body: unknown,
    error: GatehouseError,
  ): Promise<void> {
    const dedupeKey = (body as { dedupeKey?: unknown } | undefined)?.dedupeKey;
    await this.announce.rejectedReply(tx, messageFingerprint(msg.subject, msg.raw), {
      workflowId: target?.workflowId ?? null,
      gateKey: target?.gateKey ?? null,
      ...(typeof dedupeKey === 'string' ? { dedupeKey: dedupeKey.slice(0, 200) } : {}),
      error: { error: error.code, message: error.message },
      at: new Date().toISOString(),
    });
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
