import { Module } from '@nestjs/common';
import { RunStatusStreamService } from './run-status-stream.service';
import { RunsController } from './runs.controller';
import { RunsService } from './runs.service';

@Module({ controllers: [RunsController], providers: [RunsService, RunStatusStreamService], exports: [RunsService] })
export class RunsModule {}
