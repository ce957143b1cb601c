import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { rpc, type HealthReply } from '@gatehouse/contracts';
import { ServiceHealth } from '@gatehouse/messaging';

@Controller()
export class HealthRpcController {
  constructor(private readonly health: ServiceHealth) {}

  /** db: Postgres answers; nats: NATS answers (the shared indicators of the admin port's readiness). */
  @MessagePattern(rpc.runs.health)
  check(): Promise<HealthReply> {
    return this.health.dependencies('runs');
  }
}
