import { Module } from '@nestjs/common';
import { ConsumerHost } from '@gatehouse/messaging';
import { AdaptersModule } from '../adapters/adapters.module';
import { HeldWorkRepository } from '../control/held-work.repository';
import { RunsModule } from '../runs/runs.module';
import { ArtifactsRepository } from './artifacts.repository';
import { ChildTaskHandler } from './child-task.handler';
import { ChildTaskService } from './child-task.service';
import { GateDecidedHandler } from './gate-decided.handler';
import { PlanGateService } from './plan-gate.service';
import { RecoveryService } from './recovery.service';
import { RunStepsRepository } from './run-steps.repository';
import { StepRunner } from './step-runner.service';
import { StepTaskHandler } from './step-task.handler';
import { ApplyPatchStep } from './steps/apply-patch.step';
import { CompileStep } from './steps/compile.step';
import { DecideStep } from './steps/decide.step';
import { ExecuteStep } from './steps/execute.step';

/** The step pipeline: consumers of intentQ, sbxQ and gate decisions. */
@Module({
  imports: [RunsModule, AdaptersModule],
  providers: [
    RunStepsRepository,
    ArtifactsRepository,
    CompileStep,
    ApplyPatchStep,
    DecideStep,
    ExecuteStep,
    StepRunner,
    PlanGateService,
    ChildTaskService,
    RecoveryService,
    StepTaskHandler,
    ChildTaskHandler,
    GateDecidedHandler,
    HeldWorkRepository,
  ],
  exports: [PlanGateService, HeldWorkRepository],
})
export class PipelineModule {
  constructor(host: ConsumerHost, steps: StepTaskHandler, children: ChildTaskHandler, decisions: GateDecidedHandler) {
    host.register(steps);
    host.register(children);
    host.register(decisions);
  }
}
