import { Injectable } from '@nestjs/common';
import {
  rpc,
  type CreateIntentDto,
  type CreateIntentResult,
  type HealthReply,
  type RunControlCommand,
  type RunControlResult,
  type RunView,
  type StartRunCommand,
  type StartRunResult,
} from '@gatehouse/contracts';
import { RpcClientService, type SendOptions } from './rpc-client.service';

/** Typed request/reply calls to the runs service. */
@Injectable()
export class RunsClient {
  constructor(private readonly rpc: RpcClientService) {}

  createIntent(dto: CreateIntentDto): Promise<CreateIntentResult> {
    return this.rpc.send(rpc.runs.createIntent, dto);
  }

  startRun(dto: StartRunCommand): Promise<StartRunResult> {
    return this.rpc.send(rpc.runs.startRun, dto);
  }

  getRun(workflowId: string, options?: SendOptions): Promise<RunView> {
    return this.rpc.send(rpc.runs.getRun, { workflowId }, options);
  }

  control(command: RunControlCommand): Promise<RunControlResult> {
    return this.rpc.send(rpc.runs.control, command);
  }

  health(timeoutMs: number): Promise<HealthReply> {
    return this.rpc.send(rpc.runs.health, {}, { timeoutMs });
  }

  /**
   * Gates cannot tell an unknown run from a run without that gate; runs can. Throws RUN_NOT_FOUND when
   * the run does not exist, and returns when it does.
   */
  async assertRunExists(workflowId: string): Promise<void> {
    await this.getRun(workflowId);
  }
}
