import { Module } from '@nestjs/common';
import { GatesModule } from '../gates/gates.module';
import { EventsController } from './events.controller';

@Module({ imports: [GatesModule], controllers: [EventsController] })
export class EventsModule {}
