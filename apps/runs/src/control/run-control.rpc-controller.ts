import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { rpc, type RunControlResult } from '@gatehouse/contracts';
import { RunControlService } from './run-control.service';

@Controller()
export class RunControlRpcController {
  constructor(private readonly control: RunControlService) {}

  @MessagePattern(rpc.runs.control)
  apply(@Payload() body: unknown): Promise<RunControlResult> {
    return this.control.apply(body);
  }
}
