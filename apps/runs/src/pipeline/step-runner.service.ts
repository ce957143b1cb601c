import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { StepId, assertUnreachable, isTerminalRunStatus, type StepTaskMessage } from '@gatehouse/contracts';
import { PoisonMessageError } from '@gatehouse/messaging';
import { RunsRepository } from '../runs/runs.repository';
import { RunStepsRepository } from './run-steps.repository';
import { ApplyPatchStep } from './steps/apply-patch.step';
import { CompileStep, type PreparedCompile } from './steps/compile.step';
import { DecideStep } from './steps/decide.step';
import { ExecuteStep } from './steps/execute.step';

/**
 * Runs one step of a parent run inside the consumer's transaction: lock the run, skip a finished
 * run or a step that already happened (messages can repeat and race), then do the step.
 */
@Injectable()
export class StepRunner {
  private readonly logger = new Logger('StepRunner');

  constructor(
    private readonly runs: RunsRepository,
    private readonly steps: RunStepsRepository,
    private readonly compile: CompileStep,
    private readonly applyPatch: ApplyPatchStep,
    private readonly decide: DecideStep,
    private readonly execute: ExecuteStep,
  ) {}

  prepare(task: StepTaskMessage): Promise<PreparedCompile | null> {
    return task.stepId === StepId.COMPILE ? this.compile.prepare(task.runId) : Promise.resolve(null);
  }

  async run(
    tx: EntityManager,
    task: StepTaskMessage,
    attempt: number,
    prepared: PreparedCompile | null,
  ): Promise<void> {
    const run = await this.runs.lock(tx, task.runId);
    if (!run) throw new PoisonMessageError(`run ${task.runId} does not exist`);
    if (isTerminalRunStatus(run.status)) {
      this.logger.debug(`run ${run.id} is ${run.status}; ${task.stepId} skipped`);
      return;
    }
    if (await this.steps.isStarted(tx, run.id, task.stepId)) {
      this.logger.debug(`run ${run.id}: ${task.stepId} already done; skipped`);
      return;
    }
    switch (task.stepId) {
      case StepId.COMPILE:
        return this.compile.run(tx, run, attempt, prepared);
      case StepId.APPLY_PATCH:
        return this.applyPatch.run(tx, run, attempt);
      case StepId.DECIDE:
        return this.decide.run(tx, run, attempt);
      case StepId.EXECUTE:
        return this.execute.run(tx, run, attempt);
      default:
        return assertUnreachable(task.stepId);
    }
  }
}
