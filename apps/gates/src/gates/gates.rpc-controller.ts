import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { rpc, type GateDetail, type GateHistory, type GateSummary } from '@gatehouse/contracts';
import { GateQueriesService } from './gate-queries.service';

@Controller()
export class GatesRpcController {
  constructor(private readonly queries: GateQueriesService) {}

  @MessagePattern(rpc.gates.list)
  list(@Payload() body: unknown): Promise<GateSummary[]> {
    return this.queries.list(body);
  }

  @MessagePattern(rpc.gates.get)
  get(@Payload() body: unknown): Promise<GateDetail> {
    return this.queries.get(body);
  }

  @MessagePattern(rpc.gates.history)
  history(@Payload() body: unknown): Promise<GateHistory> {
    return this.queries.historyOf(body);
  }

  @MessagePattern(rpc.gates.pendingPlanGate)
  pendingPlanGate(@Payload() body: unknown): Promise<GateSummary> {
    return this.queries.pendingPlanGate(body);
  }
}
