import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { StepId, assertUnreachable, isTerminalRunStatus, type StepTaskMessage } from '@gatehouse/contracts';
import { PoisonMessageError } from '@gatehouse/messaging';
import { HeldWorkRepository } from '../control/held-work.repository';
import { stepMessage } from '../runs/run-messages';
import type { RunRow } from '../runs/run-row';
import { RunWriter } from '../runs/run-writer.service';
import { RunsRepository, withChanges, type RunChanges } from '../runs/runs.repository';
import { RunStepsRepository, type NewRunStep } from './run-steps.repository';
import { ApplyPatchStep } from './steps/apply-patch.step';
import { CompileStep, type PreparedCompile } from './steps/compile.step';
import { DecideStep } from './steps/decide.step';
import { ExecuteStep } from './steps/execute.step';
import type { StepOutcome } from './steps/step-outcome';

/** The step each failed delivery failed in, for the dead-letter hook (the message names only the first). */
const failedSteps = new WeakMap<object, StepId>();

export function failedStepOf(error: unknown): StepId | undefined {
  return typeof error === 'object' && error !== null ? failedSteps.get(error) : undefined;
}

/**
 * Runs a parent run's steps inside the consumer's transaction: lock the run, skip a finished run or
 * a step that already happened (messages can repeat and race), then run the message's step and the
 * local steps that follow it (ApplyPatchST → DecideST → ExecuteST's fan-out) in this one
 * transaction: their run_steps rows, one run update, and at most one snapshot event for all of them.
 * A failure in any of them rolls all back and the delivery is retried whole.
 */
@Injectable()
export class StepRunner {
  private readonly logger = new Logger('StepRunner');

  constructor(
    private readonly runs: RunsRepository,
    private readonly steps: RunStepsRepository,
    private readonly writer: RunWriter,
    private readonly compile: CompileStep,
    private readonly applyPatch: ApplyPatchStep,
    private readonly decide: DecideStep,
    private readonly execute: ExecuteStep,
    private readonly held: HeldWorkRepository,
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
    const started = await this.steps.started(tx, run.id);
    if (started.has(task.stepId)) {
      this.logger.debug(`run ${run.id}: ${task.stepId} already done; skipped`);
      return;
    }
    if (run.paused) {
      // Not started yet: it waits for resume (the step in flight, if any, already committed).
      await this.held.holdMessage(tx, run.id, stepMessage(run, task.stepId));
      return;
    }
    const rows: NewRunStep[] = [];
    const followUps: NonNullable<StepOutcome['followUps']>[] = [];
    let changes: RunChanges = {};
    let snapshot = false;
    let current = run;
    for (let stepId: StepId | null = task.stepId; stepId !== null;) {
      const outcome = this.outcome(stepId, current, attempt, prepared);
      rows.push(outcome.row);
      changes = { ...changes, ...outcome.changes };
      snapshot ||= outcome.snapshot;
      if (outcome.followUps) followUps.push(outcome.followUps);
      current = withChanges(current, outcome.changes);
      // A later step that already happened (a message from before steps ran together) ends the chain.
      stepId = outcome.next !== null && !started.has(outcome.next) ? outcome.next : null;
    }
    await this.steps.insertAll(tx, rows);
    await this.writer.change(tx, run, changes, snapshot, (next) => followUps.flatMap((build) => build(next)));
  }

  private outcome(stepId: StepId, run: RunRow, attempt: number, prepared: PreparedCompile | null): StepOutcome {
    try {
      switch (stepId) {
        case StepId.COMPILE:
          return this.compile.outcome(run, attempt, prepared);
        case StepId.APPLY_PATCH:
          return this.applyPatch.outcome(run, attempt);
        case StepId.DECIDE:
          return this.decide.outcome(run, attempt);
        case StepId.EXECUTE:
          return this.execute.outcome(run, attempt);
        default:
          return assertUnreachable(stepId);
      }
    } catch (err) {
      if (typeof err === 'object' && err !== null) failedSteps.set(err, stepId);
      throw err;
    }
  }
}
