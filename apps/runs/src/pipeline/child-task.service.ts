import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  NextAction,
  RunStatus,
  StepId,
  StepStatus,
  isTerminalRunStatus,
  type ChildTaskMessage,
} from '@gatehouse/contracts';
import { PoisonMessageError } from '@gatehouse/messaging';
import { SANDBOX, type Sandbox, type SandboxResult } from '../adapters/sandbox';
import { HeldWorkRepository } from '../control/held-work.repository';
import { childMessage } from '../runs/run-messages';
import { RunWriter } from '../runs/run-writer.service';
import { RunsRepository } from '../runs/runs.repository';
import { ArtifactsRepository } from './artifacts.repository';
import { afterTaskDone } from './fan-out';
import { RunStepsRepository } from './run-steps.repository';

/** One child task of ExecuteST: its artifact, the next dispatch, and the end of the step. */
@Injectable()
export class ChildTaskService {
  private readonly logger = new Logger('ChildTaskService');

  constructor(
    private readonly ds: DataSource,
    private readonly runs: RunsRepository,
    private readonly steps: RunStepsRepository,
    private readonly artifacts: ArtifactsRepository,
    private readonly writer: RunWriter,
    @Inject(SANDBOX) private readonly sandbox: Sandbox,
    private readonly held: HeldWorkRepository,
  ) {}

  /** Outside the transaction: the sandbox call. Null when the task has nothing to do now (done, or its run paused or ended). */
  async prepare(task: ChildTaskMessage): Promise<SandboxResult | null> {
    if (!(await this.artifacts.childTaskOpen(this.ds, task.runId, StepId.EXECUTE, task.taskKey, task.idx))) return null;
    return this.sandbox.run(task);
  }

  async complete(
    tx: EntityManager,
    task: ChildTaskMessage,
    attempt: number,
    result: SandboxResult | null,
  ): Promise<void> {
    const run = await this.runs.lock(tx, task.runId);
    if (!run) throw new PoisonMessageError(`run ${task.runId} does not exist`);
    if (task.idx >= run.tasks_total) throw new PoisonMessageError(`run ${run.id} has no child task ${task.idx}`);
    if (isTerminalRunStatus(run.status)) {
      this.logger.debug(`run ${run.id} is ${run.status}; ${task.taskKey} dropped`);
      return;
    }
    if (!result && run.paused) {
      // Dispatched but not started when the run paused: it waits for resume.
      await this.held.holdMessage(tx, run.id, childMessage(run, task.idx));
      return;
    }
    if (!result) {
      // prepare() found the task done (or its run finished) and so did not call the sandbox.
      if (await this.artifacts.exists(tx, run.id, StepId.EXECUTE, task.taskKey, task.idx)) return;
      throw new Error(`run ${run.id}: no sandbox result for ${task.taskKey}; retrying`);
    }
    const inserted = await this.artifacts.insertFirst(tx, {
      runId: run.id,
      stepId: StepId.EXECUTE,
      taskKey: task.taskKey,
      attempt,
      idx: task.idx,
      content: result,
    });
    if (!inserted) return;
    const step = afterTaskDone({ total: run.tasks_total, dispatched: run.tasks_dispatched, done: run.tasks_done });
    if (!step.finished) {
      const next = step.dispatch === null ? null : childMessage(run, step.dispatch);
      // A paused run finishes the task in flight but dispatches no new one until resumed.
      if (next && run.paused) await this.held.holdMessage(tx, run.id, next);
      await this.writer.progress(
        tx,
        run,
        { tasksDone: step.state.done, tasksDispatched: step.state.dispatched },
        next && !run.paused ? [next] : [],
      );
      return;
    }
    await this.steps.finishRunning(tx, run.id, StepId.EXECUTE, StepStatus.SUCCEEDED, {
      output: { tasks: run.tasks_total, concurrency: run.workload.concurrency },
    });
    await this.writer.transition(tx, run, {
      status: RunStatus.SUCCESS,
      lastStep: StepId.EXECUTE,
      nextAction: NextAction.NONE,
      tasksDone: step.state.done,
    });
  }
}
