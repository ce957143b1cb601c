import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Decision, NextAction, RunFailureCode, RunStatus, StepId, StepStatus } from '@gatehouse/contracts';
import { PoisonMessageError } from '@gatehouse/messaging';
import { stepMessage } from '../../runs/run-messages';
import type { RunRow } from '../../runs/run-row';
import { RunWriter } from '../../runs/run-writer.service';
import { applyPlanPatch } from '../plan-patch';
import { RunStepsRepository } from '../run-steps.repository';

/** ApplyPatchST: apply the approved RFC 6902 patch (if any) to the plan; a bad patch ends the run. */
@Injectable()
export class ApplyPatchStep {
  constructor(
    private readonly steps: RunStepsRepository,
    private readonly writer: RunWriter,
  ) {}

  async run(tx: EntityManager, run: RunRow, attempt: number): Promise<void> {
    const decision = run.decision;
    if (decision?.decision !== Decision.APPROVE || !run.plan || !run.plan_hash) {
      throw new PoisonMessageError(`run ${run.id}: ApplyPatchST without an approved plan`);
    }
    const outcome = applyPlanPatch(run.plan, decision.patch);
    if (!outcome.ok) {
      const error = {
        code: RunFailureCode.PATCH_INVALID,
        message: `the approved patch does not apply: ${outcome.message}`,
      };
      await this.steps.insert(tx, {
        runId: run.id,
        stepId: StepId.APPLY_PATCH,
        attempt,
        status: StepStatus.FAILED,
        error,
      });
      await this.writer.transition(tx, run, {
        status: RunStatus.ERROR,
        nextAction: NextAction.NONE,
        error: { ...error, stepId: StepId.APPLY_PATCH, gateKey: decision.gateKey },
      });
      return;
    }
    await this.steps.insert(tx, {
      runId: run.id,
      stepId: StepId.APPLY_PATCH,
      attempt,
      status: StepStatus.SUCCEEDED,
      output: { operations: outcome.operations, planHashBefore: run.plan_hash, planHash: outcome.planHash },
    });
    await this.writer.transition(
      tx,
      run,
      { status: RunStatus.PENDING, lastStep: StepId.APPLY_PATCH, plan: outcome.plan, planHash: outcome.planHash },
      (next) => [stepMessage(next, StepId.DECIDE)],
    );
  }
}
