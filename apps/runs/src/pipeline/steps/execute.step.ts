import { Injectable } from '@nestjs/common';
import { NextAction, RunStatus, StepId, StepStatus } from '@gatehouse/contracts';
import { childMessage } from '../../runs/run-messages';
import type { RunRow } from '../../runs/run-row';
import { initialDispatch } from '../fan-out';
import type { StepOutcome } from './step-outcome';

/**
 * ExecuteST: fan out `workload.steps` child tasks on sbxQ, `workload.concurrency` at a time. The
 * step stays RUNNING until the last child task finishes (ChildTaskService closes it); with no
 * child tasks the run ends SUCCESS at once.
 */
@Injectable()
export class ExecuteStep {
  outcome(run: RunRow, attempt: number): StepOutcome {
    if (run.tasks_total === 0) {
      return {
        row: { runId: run.id, stepId: StepId.EXECUTE, attempt, status: StepStatus.SUCCEEDED, output: { tasks: 0 } },
        changes: { status: RunStatus.SUCCESS, lastStep: StepId.EXECUTE, nextAction: NextAction.NONE },
        snapshot: true,
        next: null,
      };
    }
    const first = initialDispatch(run.tasks_total, run.workload.concurrency);
    return {
      row: {
        runId: run.id,
        stepId: StepId.EXECUTE,
        attempt,
        status: StepStatus.RUNNING,
        output: { tasks: run.tasks_total, concurrency: run.workload.concurrency },
      },
      changes: { tasksDispatched: first.length },
      snapshot: false,
      followUps: (next) => first.map((idx) => childMessage(next, idx)),
      next: null,
    };
  }
}
