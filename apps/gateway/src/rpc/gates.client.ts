import { Injectable } from '@nestjs/common';
import {
  rpc,
  type GateDetail,
  type GateGetRequest,
  type GateReplyCommand,
  type GateReplyResult,
  type GateSummary,
  type GatesListRequest,
  type HealthReply,
  type PendingPlanGateRequest,
} from '@gatehouse/contracts';
import { RpcClientService, type SendOptions } from './rpc-client.service';

/** Typed request/reply calls to the gates service. */
@Injectable()
export class GatesClient {
  constructor(private readonly rpc: RpcClientService) {}

  list(workflowId: string): Promise<GateSummary[]> {
    return this.rpc.send(rpc.gates.list, { workflowId } satisfies GatesListRequest);
  }

  get(workflowId: string, gateKey: string, options?: SendOptions): Promise<GateDetail> {
    return this.rpc.send(rpc.gates.get, { workflowId, gateKey } satisfies GateGetRequest, options);
  }

  reply(command: GateReplyCommand): Promise<GateReplyResult> {
    return this.rpc.send(rpc.gates.reply, command);
  }

  /** The pending `approve-plan` gate; NO_PENDING_GATE when it exists but is closed, GATE_NOT_FOUND when absent. */
  pendingPlanGate(workflowId: string): Promise<GateSummary> {
    return this.rpc.send(rpc.gates.pendingPlanGate, { workflowId } satisfies PendingPlanGateRequest);
  }

  health(timeoutMs: number): Promise<HealthReply> {
    return this.rpc.send(rpc.gates.health, {}, { timeoutMs });
  }
}
