import { Injectable } from '@nestjs/common';
import {
  applyPlanPatch,
  Decision,
  NextAction,
  RunFailureCode,
  RunStatus,
  StepId,
  StepStatus,
} from '@gatehouse/contracts';
import { PoisonMessageError } from '@gatehouse/messaging';
import type { RunRow } from '../../runs/run-row';
import type { StepOutcome } from './step-outcome';

/** ApplyPatchST: apply the approved RFC 6902 patch (if any) to the plan; a bad patch ends the run. */
@Injectable()
export class ApplyPatchStep {
  outcome(run: RunRow, attempt: number): StepOutcome {
    const decision = run.decision;
    if (decision?.decision !== Decision.APPROVE || !run.plan || !run.plan_hash) {
      throw new PoisonMessageError(`run ${run.id}: ApplyPatchST without an approved plan`);
    }
    const patched = applyPlanPatch(run.plan, decision.patch);
    // The run executes exactly the approved version: a patched plan with another hash is refused.
    const mismatch = patched.ok && decision.planHash && patched.planHash !== decision.planHash;
    if (!patched.ok || mismatch) {
      const error = patched.ok
        ? {
            code: RunFailureCode.PLAN_MISMATCH,
            message: `the patched plan ${patched.planHash} is not the approved version ${decision.planHash}`,
          }
        : { code: RunFailureCode.PATCH_INVALID, message: `the approved patch does not apply: ${patched.message}` };
      return {
        row: { runId: run.id, stepId: StepId.APPLY_PATCH, attempt, status: StepStatus.FAILED, error },
        changes: {
          status: RunStatus.ERROR,
          nextAction: NextAction.NONE,
          error: { ...error, stepId: StepId.APPLY_PATCH, gateKey: decision.gateKey },
        },
        snapshot: true,
        next: null,
      };
    }
    return {
      row: {
        runId: run.id,
        stepId: StepId.APPLY_PATCH,
        attempt,
        status: StepStatus.SUCCEEDED,
        output: { operations: patched.operations, planHashBefore: run.plan_hash, planHash: patched.planHash },
      },
      changes: {
        status: RunStatus.PENDING,
        lastStep: StepId.APPLY_PATCH,
        plan: patched.plan,
        planHash: patched.planHash,
      },
      snapshot: true,
      next: StepId.DECIDE,
    };
  }
}
