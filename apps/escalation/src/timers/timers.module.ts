import { Module } from '@nestjs/common';
import { ConsumerHost } from '@gatehouse/messaging';
import { EscalationsModule } from '../escalations/escalations.module';
import { DeadlineFiringService } from './deadline-firing.service';
import { DeadlineSchedulerService } from './deadline-scheduler.service';
import { GateEventsHandler } from './gate-events.handler';
import { RearmAfterCommitSubscriber } from './rearm-after-commit.subscriber';
import { TimersRepository } from './timers.repository';
import { TimersService } from './timers.service';
import { TimerMetrics } from './timer-metrics';

@Module({
  imports: [EscalationsModule],
  providers: [
    TimersRepository,
    TimersService,
    DeadlineFiringService,
    DeadlineSchedulerService,
    RearmAfterCommitSubscriber,
    GateEventsHandler,
    TimerMetrics,
  ],
  exports: [DeadlineSchedulerService],
})
export class TimersModule {
  constructor(host: ConsumerHost, handler: GateEventsHandler) {
    host.register(handler);
  }
}
