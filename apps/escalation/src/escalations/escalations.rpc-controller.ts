import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { rpc, type EscalationView } from '@gatehouse/contracts';
import { EscalationsService } from './escalations.service';

@Controller()
export class EscalationsRpcController {
  constructor(private readonly escalations: EscalationsService) {}

  @MessagePattern(rpc.escalation.get)
  get(@Payload() query: unknown): Promise<EscalationView> {
    return this.escalations.get(query);
  }
}
