import { Module } from '@nestjs/common';
import { RunsModule } from '../runs/runs.module';
import { IntentsController } from './intents.controller';

@Module({ imports: [RunsModule], controllers: [IntentsController] })
export class IntentsModule {}
