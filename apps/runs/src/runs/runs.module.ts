import { Module } from '@nestjs/common';
import { IntentsRepository } from './intents.repository';
import { FairQueues } from '../queues/fair-queues.service';
import { RunWriter } from './run-writer.service';
import { RunsRepository } from './runs.repository';
import { RunsRpcController } from './runs.rpc-controller';
import { RunsService } from './runs.service';

/** Intents and runs: the request/reply surface and the run table shared with the pipeline. */
@Module({
  controllers: [RunsRpcController],
  providers: [RunsService, IntentsRepository, RunsRepository, RunWriter, FairQueues],
  exports: [IntentsRepository, RunsRepository, RunWriter, FairQueues],
})
export class RunsModule {}
