import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { rpc, type HealthReply } from '@gatehouse/contracts';
import { HealthService } from './health.service';

@Controller()
export class HealthRpcController {
  constructor(private readonly health: HealthService) {}

  @MessagePattern(rpc.runs.health)
  check(): Promise<HealthReply> {
    return this.health.check();
  }
}
