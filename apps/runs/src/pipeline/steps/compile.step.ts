import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NextAction, RunStatus, StepId, StepStatus, isTerminalRunStatus } from '@gatehouse/contracts';
import { COMPILER, type CompiledPlan, type Compiler } from '../../adapters/compiler';
import { IntentsRepository } from '../../runs/intents.repository';
import { planGateRequestedMessage } from '../../runs/run-messages';
import type { RunRow } from '../../runs/run-row';
import { RunsRepository } from '../../runs/runs.repository';
import type { StepOutcome } from './step-outcome';

export interface PreparedCompile extends CompiledPlan {
  goal: string;
  inputs: Record<string, unknown>;
  constraints: Record<string, unknown>;
}

/** CompileST: build the plan, then ask for the plan gate. The run then waits without polling. */
@Injectable()
export class CompileStep {
  constructor(
    private readonly ds: DataSource,
    private readonly runs: RunsRepository,
    private readonly intents: IntentsRepository,
    @Inject(COMPILER) private readonly compiler: Compiler,
  ) {}

  /** Outside the transaction: the compiler may be a slow HTTP call. Null when there is nothing to compile. */
  async prepare(runId: string): Promise<PreparedCompile | null> {
    const run = await this.runs.find(this.ds.manager, runId);
    if (!run || isTerminalRunStatus(run.status) || run.plan_hash) return null;
    const intent = await this.intents.find(this.ds.manager, run.id);
    if (!intent) return null;
    const compiled = await this.compiler.compile({
      id: intent.id,
      goal: intent.goal,
      inputs: intent.inputs,
      constraints: intent.constraints,
    });
    return { ...compiled, goal: intent.goal, inputs: intent.inputs, constraints: intent.constraints };
  }

  outcome(run: RunRow, attempt: number, prepared: PreparedCompile | null): StepOutcome {
    // Only when the run changed between prepare and this transaction; the redelivery compiles again.
    if (!prepared) throw new Error(`run ${run.id}: no compiled plan for CompileST; retrying`);
    return {
      row: {
        runId: run.id,
        stepId: StepId.COMPILE,
        attempt,
        status: StepStatus.SUCCEEDED,
        output: { planHash: prepared.planHash, compiler: this.compiler.mode },
      },
      changes: {
        status: RunStatus.PENDING,
        lastStep: StepId.COMPILE,
        nextAction: NextAction.APPROVE_PLAN,
        plan: prepared.plan,
        planHash: prepared.planHash,
      },
      snapshot: true,
      followUps: (next) => [planGateRequestedMessage(next, prepared)],
      next: null,
    };
  }
}
