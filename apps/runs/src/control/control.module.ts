import { Module } from '@nestjs/common';
import { PipelineModule } from '../pipeline/pipeline.module';
import { RunsModule } from '../runs/runs.module';
import { RunControlRepository } from './run-control.repository';
import { RunControlRpcController } from './run-control.rpc-controller';
import { RunControlService } from './run-control.service';

/** Pause, resume and cancel (DESIGN section 12). The pipeline holds a paused run's work (held-work.repository.ts). */
@Module({
  imports: [RunsModule, PipelineModule],
  controllers: [RunControlRpcController],
  providers: [RunControlRepository, RunControlService],
})
export class ControlModule {}
