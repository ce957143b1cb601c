import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Decision, NextAction, RunErrorCode, RunStatus, StepId, StepStatus } from '@gatehouse/contracts';
import { PoisonMessageError } from '@gatehouse/messaging';
import { stepMessage } from '../../runs/run-messages';
import type { RunRow } from '../../runs/run-row';
import { RunWriter } from '../../runs/run-writer.service';
import { RunStepsRepository } from '../run-steps.repository';

/** DecideST: record the gate's decision as the step's output and choose the path. */
@Injectable()
export class DecideStep {
  constructor(
    private readonly steps: RunStepsRepository,
    private readonly writer: RunWriter,
  ) {}

  async run(tx: EntityManager, run: RunRow, attempt: number): Promise<void> {
    const d = run.decision;
    if (!d) throw new PoisonMessageError(`run ${run.id}: DecideST without a decision`);
    const approved = d.decision === Decision.APPROVE;
    await this.steps.insert(tx, {
      runId: run.id,
      stepId: StepId.DECIDE,
      attempt,
      status: StepStatus.SUCCEEDED,
      output: {
        gateKey: d.gateKey,
        decision: d.decision,
        by: d.by,
        choice: d.choice,
        rationale: d.rationale,
        actor: d.actor,
        planHash: run.plan_hash,
        path: approved ? StepId.EXECUTE : 'end',
      },
    });
    if (approved) {
      await this.writer.transition(tx, run, { status: RunStatus.PENDING, lastStep: StepId.DECIDE }, (next) => [
        stepMessage(next, StepId.EXECUTE),
      ]);
      return;
    }
    // Rejections end the run when the gate decides; this path only guards against a stray decision.
    await this.writer.transition(tx, run, {
      status: RunStatus.ERROR,
      lastStep: StepId.DECIDE,
      nextAction: NextAction.NONE,
      error: {
        code: RunErrorCode.REJECTED,
        message: `the plan was not approved (${d.decision})`,
        gateKey: d.gateKey,
        ...(d.rationale ? { rationale: d.rationale } : {}),
      },
    });
  }
}
