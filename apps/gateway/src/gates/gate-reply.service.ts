import { Injectable } from '@nestjs/common';
import {
  ErrorCode,
  GatehouseError,
  GateState,
  PLAN_GATE_KEY,
  ReplyOrigin,
  topics,
  type ApprovePlanDto,
  type GateReplyCommand,
  type GateReplyDto,
  type GateReplyResult,
  type HitlEventDto,
  type ReplyPayloadDto,
} from '@gatehouse/contracts';
import type { Principal } from '@gatehouse/identity';
import { parseGateKey } from '../params/gate-params';
import { requireRunId } from '../params/run-id';
import { GatesClient } from '../rpc/gates.client';
import { hasCode } from '../rpc/rpc-error.mapping';
import { RunsClient } from '../rpc/runs.client';

/** The dedupe key of the legacy bridge: one approval per run, so a repeated call is a replay. */
export const bridgeDedupeKey = (wid: string) => `approve-plan:${wid}`;

/**
 * Every HTTP surface that replies to a gate ends in the gates service's one reply rule set
 * (DESIGN section 3); this service only shapes the command and explains 404s.
 */
@Injectable()
export class GateReplyService {
  constructor(
    private readonly gates: GatesClient,
    private readonly runs: RunsClient,
  ) {}

  /** POST /api/runs/:wid/gates/:g/reply (the gate key was checked by its pipe). */
  async reply(wid: string, gateKey: string, dto: GateReplyDto, principal: Principal): Promise<GateReplyResult> {
    return this.send({
      workflowId: requireRunId(wid),
      gateKey,
      topic: topics.human(gateKey),
      payload: dto.payload,
      dedupeKey: dto.dedupeKey,
      origin: ReplyOrigin.REST,
      actor: principal.id,
      actorRoles: [...principal.roles],
    });
  }

  /**
   * POST /api/events/hitl. Checks that need no lookup come first: the gate key (400), the run id's form
   * (404), the topic (409); then the reply rules. The actor is the principal; the body's `actor` is
   * kept only when a signed source relays for that person (`onBehalfOf`), and ignored otherwise.
   */
  async hitl(dto: HitlEventDto, principal: Principal): Promise<GateReplyResult> {
    const gateKey = parseGateKey(dto.gateKey);
    const workflowId = requireRunId(dto.workflowId);
    if (dto.topic !== topics.human(gateKey)) {
      throw new GatehouseError(
        ErrorCode.TOPIC_MISMATCH,
        `topic must be "${topics.human(gateKey)}" for gate ${gateKey}`,
      );
    }
    return this.send({
      workflowId,
      gateKey,
      topic: dto.topic,
      payload: dto.payload,
      dedupeKey: dto.dedupeKey,
      origin: dto.origin ?? ReplyOrigin.WEBHOOK,
      actor: principal.id,
      actorRoles: [...principal.roles],
      onBehalfOf: principal.kind === 'source' ? (dto.actor ?? null) : null,
    });
  }

  /**
   * POST /api/runs/:wid/approve-plan, the legacy bridge: a `yes` on the pending gate of the plan chain
   * (`approve-plan`, or the successor waiting after it escalated), with a dedupe key derived from the run. When the plan gate is no longer pending the answer is 409 NO_PENDING_GATE
   * and nothing is written, except when the reply that closed it was this bridge's own (same dedupe key):
   * then the call is a replay and goes through the reply rules, which answer `duplicate: true` for the same
   * payload (or DEDUPE_CONFLICT for different notes), so retrying a bridge call is safe. The actor is
   * the principal: `approvedBy` is still required by the legacy body but records nothing.
   */
  async approvePlan(wid: string, dto: ApprovePlanDto, principal: Principal): Promise<GateReplyResult> {
    const workflowId = requireRunId(wid);
    const dedupeKey = bridgeDedupeKey(workflowId);
    const gateKey = await this.planGateFor(workflowId, dedupeKey);
    const payload: ReplyPayloadDto =
      dto.notes === undefined ? { choice: 'yes' } : { choice: 'yes', rationale: dto.notes };
    try {
      return await this.send({
        workflowId,
        gateKey,
        topic: topics.human(gateKey),
        payload,
        dedupeKey,
        origin: ReplyOrigin.BRIDGE,
        actor: principal.id,
        actorRoles: [...principal.roles],
      });
    } catch (err) {
      // Decided by someone else between the two calls.
      if (hasCode(err, ErrorCode.GATE_CLOSED)) throw noPendingGate(workflowId);
      throw err;
    }
  }

  private async planGateFor(workflowId: string, dedupeKey: string): Promise<string> {
    try {
      return (await this.gates.pendingPlanGate(workflowId)).gateKey;
    } catch (err) {
      if (hasCode(err, ErrorCode.NO_PENDING_GATE)) {
        // A replay of this bridge's own reply: it sits on the one gate of the plan chain that was answered.
        const answered = (await this.gates.list(workflowId)).find(
          (g) => g.rootGateKey === PLAN_GATE_KEY && g.state === GateState.RECEIVED,
        );
        if (answered && (await this.gates.get(workflowId, answered.gateKey)).result?.dedupeKey === dedupeKey) {
          return answered.gateKey;
        }
        throw noPendingGate(workflowId);
      }
      if (hasCode(err, ErrorCode.GATE_NOT_FOUND)) {
        await this.runs.assertRunExists(workflowId);
        throw noPendingGate(workflowId);
      }
      throw err;
    }
  }

  private async send(command: GateReplyCommand): Promise<GateReplyResult> {
    try {
      return await this.gates.reply(command);
    } catch (err) {
      if (hasCode(err, ErrorCode.GATE_NOT_FOUND)) await this.runs.assertRunExists(command.workflowId);
      throw err;
    }
  }
}

function noPendingGate(wid: string): GatehouseError {
  return new GatehouseError(ErrorCode.NO_PENDING_GATE, `run ${wid} has no pending plan gate`);
}
