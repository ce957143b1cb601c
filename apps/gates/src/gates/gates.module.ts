import { Module } from '@nestjs/common';
import { ConsumerHost } from '@gatehouse/messaging';
import { DeadlinePassedHandler } from './deadline-passed.handler';
import { GateAnnouncements } from './gate-announcements.service';
import { GateLifecycleService } from './gate-lifecycle.service';
import { GateHistoryRepository } from './gate-history.repository';
import { GateMetrics } from './gate-metrics';
import { GatePolicyService } from './gate-policy.service';
import { GateQueriesService } from './gate-queries.service';
import { GateRequestedHandler } from './gate-requested.handler';
import { GatesRepository } from './gates.repository';
import { GatesRpcController } from './gates.rpc-controller';
import { RunFinishedHandler } from './run-finished.handler';
import { VotesRepository } from './votes.repository';
import { WorkflowEventsRepository } from './workflow-events.repository';

/** Gates and their events: opening, timing out (and escalating), cancelling, and the read side. */
@Module({
  controllers: [GatesRpcController],
  providers: [
    GatesRepository,
    WorkflowEventsRepository,
    VotesRepository,
    GateAnnouncements,
    GatePolicyService,
    GateLifecycleService,
    GateQueriesService,
    GateHistoryRepository,
    GateRequestedHandler,
    DeadlinePassedHandler,
    RunFinishedHandler,
    GateMetrics,
  ],
  exports: [GatesRepository, WorkflowEventsRepository, VotesRepository, GateAnnouncements, GatePolicyService],
})
export class GatesModule {
  constructor(
    host: ConsumerHost,
    opened: GateRequestedHandler,
    deadline: DeadlinePassedHandler,
    runFinished: RunFinishedHandler,
  ) {
    host.register(opened);
    host.register(deadline);
    host.register(runFinished);
  }
}
