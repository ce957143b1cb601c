import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { NextAction, RunStatus, StepId, StepStatus } from '@gatehouse/contracts';
import { childMessage } from '../../runs/run-messages';
import type { RunRow } from '../../runs/run-row';
import { RunWriter } from '../../runs/run-writer.service';
import { initialDispatch } from '../fan-out';
import { RunStepsRepository } from '../run-steps.repository';

/**
 * ExecuteST: fan out `workload.steps` child tasks on sbxQ, `workload.concurrency` at a time. The
 * step stays RUNNING until the last child task finishes (ChildTaskService closes it).
 */
@Injectable()
export class ExecuteStep {
  constructor(
    private readonly steps: RunStepsRepository,
    private readonly writer: RunWriter,
  ) {}

  async run(tx: EntityManager, run: RunRow, attempt: number): Promise<void> {
    if (run.tasks_total === 0) {
      await this.steps.insert(tx, {
        runId: run.id,
        stepId: StepId.EXECUTE,
        attempt,
        status: StepStatus.SUCCEEDED,
        output: { tasks: 0 },
      });
      await this.writer.transition(tx, run, {
        status: RunStatus.SUCCESS,
        lastStep: StepId.EXECUTE,
        nextAction: NextAction.NONE,
      });
      return;
    }
    const first = initialDispatch(run.tasks_total, run.workload.concurrency);
    await this.steps.insert(tx, {
      runId: run.id,
      stepId: StepId.EXECUTE,
      attempt,
      status: StepStatus.RUNNING,
      output: { tasks: run.tasks_total, concurrency: run.workload.concurrency },
    });
    await this.writer.progress(
      tx,
      run,
      { tasksDispatched: first.length },
      first.map((idx) => childMessage(run, idx)),
    );
  }
}
