import { Injectable } from '@nestjs/common';
import { Decision, NextAction, RunErrorCode, RunStatus, StepId, StepStatus } from '@gatehouse/contracts';
import { PoisonMessageError } from '@gatehouse/messaging';
import type { RunRow } from '../../runs/run-row';
import type { StepOutcome } from './step-outcome';

/** DecideST: record the gate's decision as the step's output and choose the path. */
@Injectable()
export class DecideStep {
  outcome(run: RunRow, attempt: number): StepOutcome {
    const d = run.decision;
    if (!d) throw new PoisonMessageError(`run ${run.id}: DecideST without a decision`);
    const approved = d.decision === Decision.APPROVE;
    const row = {
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
    };
    if (approved) {
      return {
        row,
        changes: { status: RunStatus.PENDING, lastStep: StepId.DECIDE },
        snapshot: true,
        next: StepId.EXECUTE,
      };
    }
    // Rejections end the run when the gate decides; this path only guards against a stray decision.
    return {
      row,
      changes: {
        status: RunStatus.ERROR,
        lastStep: StepId.DECIDE,
        nextAction: NextAction.NONE,
        error: {
          code: RunErrorCode.REJECTED,
          message: `the plan was not approved (${d.decision})`,
          gateKey: d.gateKey,
          ...(d.rationale ? { rationale: d.rationale } : {}),
        },
      },
      snapshot: true,
      next: null,
    };
  }
}
