import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { NextAction, RunFailureCode, RunStatus, StepId, StepStatus, isTerminalRunStatus } from '@gatehouse/contracts';
import { RunWriter } from '../runs/run-writer.service';
import { RunsRepository } from '../runs/runs.repository';
import { RunStepsRepository } from './run-steps.repository';
import { isUuid } from '@gatehouse/contracts';

/**
 * A pipeline message failed on every delivery and was dead-lettered: the run ends
 * MAX_RECOVERY_ATTEMPTS_EXCEEDED, visibly, in the dead-letter transaction.
 */
@Injectable()
export class RecoveryService {
  constructor(
    private readonly runs: RunsRepository,
    private readonly steps: RunStepsRepository,
    private readonly writer: RunWriter,
  ) {}

  async stepExhausted(
    tx: EntityManager,
    where: { runId: string; stepId: StepId; taskKey?: string },
    deliveries: number,
    cause: Error,
  ): Promise<void> {
    if (!isUuid(where.runId)) return;
    const run = await this.runs.lock(tx, where.runId);
    if (!run || isTerminalRunStatus(run.status)) return;
    const what = where.taskKey ? `${where.stepId} task ${where.taskKey}` : where.stepId;
    const message = `${what} failed on ${deliveries} deliveries: ${String(cause?.message ?? cause).slice(0, 500)}`;
    const error = { code: RunFailureCode.MAX_RECOVERY_ATTEMPTS_EXCEEDED, message, stepId: where.stepId };
    // A fanning-out ExecuteST has a RUNNING row: close it; otherwise record the failed attempt.
    const closed =
      where.stepId === StepId.EXECUTE &&
      (await this.steps.finishRunning(tx, run.id, where.stepId, StepStatus.FAILED, { error }));
    if (!closed) {
      await this.steps.insert(tx, {
        runId: run.id,
        stepId: where.stepId,
        attempt: deliveries,
        status: StepStatus.FAILED,
        error,
      });
    }
    await this.writer.transition(tx, run, {
      status: RunStatus.MAX_RECOVERY_ATTEMPTS_EXCEEDED,
      nextAction: NextAction.NONE,
      retryCount: Math.max(0, deliveries - 1),
      error,
    });
  }

  /** The plan gate's decision could not be applied: fail closed rather than wait forever. */
  async decisionExhausted(
    tx: EntityManager,
    runId: string,
    gateKey: string,
    deliveries: number,
    cause: Error,
  ): Promise<void> {
    if (!isUuid(runId)) return;
    const run = await this.runs.lock(tx, runId);
    if (!run || isTerminalRunStatus(run.status) || run.next_action !== NextAction.APPROVE_PLAN) return;
    await this.writer.transition(tx, run, {
      status: RunStatus.MAX_RECOVERY_ATTEMPTS_EXCEEDED,
      nextAction: NextAction.NONE,
      retryCount: Math.max(0, deliveries - 1),
      error: {
        code: RunFailureCode.MAX_RECOVERY_ATTEMPTS_EXCEEDED,
        message: `the decision of gate ${gateKey} failed on ${deliveries} deliveries: ${String(cause?.message ?? cause).slice(0, 500)}`,
        gateKey,
      },
    });
  }
}
