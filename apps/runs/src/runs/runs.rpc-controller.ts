import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  CreateIntentDto,
  ErrorCode,
  GatehouseError,
  StartRunCommand,
  rpc,
  type CreateIntentResult,
  type RunView,
  type StartRunResult,
} from '@gatehouse/contracts';
import { RunsService } from './runs.service';
import { validateDto } from '@gatehouse/contracts';

/** `rpc.runs.*` from the gateway: parse, call one use case, answer. */
@Controller()
export class RunsRpcController {
  constructor(private readonly runs: RunsService) {}

  @MessagePattern(rpc.runs.createIntent)
  createIntent(@Payload() payload: unknown): Promise<CreateIntentResult> {
    return this.runs.createIntent(validateDto(CreateIntentDto, payload));
  }

  @MessagePattern(rpc.runs.startRun)
  startRun(@Payload() payload: unknown): Promise<StartRunResult> {
    return this.runs.startRun(validateDto(StartRunCommand, payload));
  }

  @MessagePattern(rpc.runs.getRun)
  async getRun(@Payload() payload: unknown): Promise<RunView> {
    const workflowId = (payload as { workflowId?: unknown } | null)?.workflowId;
    if (typeof workflowId !== 'string') {
      throw new GatehouseError(ErrorCode.VALIDATION_FAILED, 'workflowId must be a string');
    }
    return this.runs.getRun(workflowId);
  }
}
