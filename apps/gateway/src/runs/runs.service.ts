import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import {
  checkRunLaws,
  type CreateIntentDto,
  type CreateIntentResult,
  type RunControlAction,
  type RunControlDto,
  type RunControlResult,
  type RunView,
  type StartRunDto,
} from '@gatehouse/contracts';
import { PolicyFileService } from '@gatehouse/messaging';
import type { Principal } from '@gatehouse/identity';
import type { GatewayEnv } from '../config/gateway.env';
import { requireRunId } from '../params/run-id';
import { RunsClient } from '../rpc/runs.client';

@Injectable()
export class RunsService {
  private readonly partitionRequired: boolean;

  constructor(
    private readonly runs: RunsClient,
    private readonly policy: PolicyFileService,
    config: ConfigService<GatewayEnv, true>,
  ) {
    this.partitionRequired = config.get('SBX_QUEUE_PARTITION', { infer: true });
  }

  createIntent(dto: CreateIntentDto): Promise<CreateIntentResult> {
    return this.runs.createIntent(dto);
  }

  /** The queue, partition and recipe laws answer here, fast; the runs service checks them again. */
  async startRun(dto: StartRunDto, principal: Principal): Promise<{ workflowID: string }> {
    checkRunLaws(dto, this.partitionRequired, this.policy.recipes);
    const { workflowID } = await this.runs.startRun({ ...dto, requestedBy: principal.id });
    return { workflowID };
  }

  /** Who may control the run is decided by the runs service, which knows the run's requester. */
  control(wid: string, action: RunControlAction, dto: RunControlDto, principal: Principal): Promise<RunControlResult> {
    return this.runs.control({
      workflowId: requireRunId(wid),
      action,
      reason: dto.reason,
      actor: principal.id,
      roles: principal.roles,
    });
  }

  async getRun(wid: string): Promise<RunView> {
    return this.runs.getRun(requireRunId(wid));
  }
}
