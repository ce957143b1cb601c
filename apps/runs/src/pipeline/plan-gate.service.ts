import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  Decision,
  NextAction,
  PLAN_GATE_KEY,
  RunErrorCode,
  RunStatus,
  StepId,
  assertUnreachable,
  isTerminalRunStatus,
  type GateDecidedEvent,
} from '@gatehouse/contracts';
import { HeldWorkRepository } from '../control/held-work.repository';
import { stepMessage } from '../runs/run-messages';
import type { RunDecision } from '../runs/run-row';
import { RunWriter } from '../runs/run-writer.service';
import { RunsRepository } from '../runs/runs.repository';
import { isUuid } from '@gatehouse/contracts';

/**
 * Resumes or ends a run waiting at its plan gate, or at a successor of the plan gate that the
 * `escalate` timeout action opened (`approve-plan-e1`, ...: same `rootGateKey`). A timeout that
 * escalated leaves the run waiting (PENDING, APPROVE_PLAN) for the successor's decision. A decision
 * for a run that is not waiting on that chain (unknown run, already resumed, finished) changes nothing.
 */
@Injectable()
export class PlanGateService {
  private readonly logger = new Logger('PlanGateService');

  constructor(
    private readonly runs: RunsRepository,
    private readonly writer: RunWriter,
    private readonly held: HeldWorkRepository,
  ) {}

  async decided(tx: EntityManager, event: GateDecidedEvent): Promise<void> {
    if (event.rootGateKey !== PLAN_GATE_KEY) return;
    if (event.escalatedTo) {
      this.logger.debug(
        `gate ${event.workflowId}/${event.gateKey} escalated to ${event.escalatedTo}; the run keeps waiting`,
      );
      return;
    }
    const run = isUuid(event.workflowId) ? await this.runs.lock(tx, event.workflowId) : null;
    if (!run || isTerminalRunStatus(run.status) || run.next_action !== NextAction.APPROVE_PLAN) {
      this.logger.debug(`decision on ${event.workflowId}/${event.gateKey} ignored: the run is not waiting on it`);
      return;
    }
    if (run.paused) {
      // Judged and recorded by the gates service already; it takes effect on resume, in order.
      await this.held.holdDecision(tx, event);
      return;
    }
    const decision: RunDecision = {
      gateKey: event.gateKey,
      decision: event.decision,
      by: event.by,
      choice: event.choice,
      rationale: event.rationale,
      patch: event.patch,
      planHash: event.planHash ?? null,
      actor: event.actor,
      at: event.at,
    };
    switch (event.decision) {
      case Decision.APPROVE:
        await this.writer.transition(tx, run, { nextAction: NextAction.NONE, decision }, (next) => [
          stepMessage(next, StepId.APPLY_PATCH),
        ]);
        return;
      case Decision.REJECT:
        await this.writer.transition(tx, run, {
          status: RunStatus.ERROR,
          nextAction: NextAction.NONE,
          decision,
          error: {
            code: RunErrorCode.REJECTED,
            message: `the plan was rejected at gate ${event.gateKey}`,
            gateKey: event.gateKey,
            ...(event.rationale !== null ? { rationale: event.rationale } : {}),
          },
        });
        return;
      case Decision.TIMEOUT:
        await this.writer.transition(tx, run, {
          status: RunStatus.ERROR,
          nextAction: NextAction.NONE,
          decision,
          error: {
            code: RunErrorCode.GATE_TIMED_OUT,
            message:
              event.gateKey === event.rootGateKey
                ? `gate ${event.gateKey} timed out before a decision`
                : `gate ${event.gateKey}, the last escalation of ${event.rootGateKey}, timed out before a decision`,
            gateKey: event.gateKey,
          },
        });
        return;
      default:
        return assertUnreachable(event.decision);
    }
  }
}
