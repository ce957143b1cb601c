import { Injectable } from '@nestjs/common';
import {
  rpc,
  type ApiKeyView,
  type CreateApiKeyCommand,
  type RevokeApiKeyRequest,
  type VerifiedApiKey,
  type VerifyApiKeyRequest,
  type GateDetail,
  type GateGetRequest,
  type GateHistory,
  type GateHistoryRequest,
  type GateReplyCommand,
  type GateReplyResult,
  type GateSummary,
  type GatesListRequest,
  type HealthReply,
  type InboxPage,
  type InboxQuery,
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

  /** The operators' inbox across runs. */
  inbox(query: InboxQuery): Promise<InboxPage> {
    return this.rpc.send(rpc.gates.inbox, query);
  }

  get(workflowId: string, gateKey: string, options?: SendOptions): Promise<GateDetail> {
    return this.rpc.send(rpc.gates.get, { workflowId, gateKey } satisfies GateGetRequest, options);
  }

  history(workflowId: string, gateKey: string): Promise<GateHistory> {
    return this.rpc.send(rpc.gates.history, { workflowId, gateKey } satisfies GateHistoryRequest);
  }

  reply(command: GateReplyCommand): Promise<GateReplyResult> {
    return this.rpc.send(rpc.gates.reply, command);
  }

  /** The pending `approve-plan` gate; NO_PENDING_GATE when it exists but is closed, GATE_NOT_FOUND when absent. */
  pendingPlanGate(workflowId: string): Promise<GateSummary> {
    return this.rpc.send(rpc.gates.pendingPlanGate, { workflowId } satisfies PendingPlanGateRequest);
  }

  createKey(command: CreateApiKeyCommand): Promise<ApiKeyView> {
    return this.rpc.send(rpc.gates.keys.create, command);
  }

  listKeys(): Promise<ApiKeyView[]> {
    return this.rpc.send(rpc.gates.keys.list, {});
  }

  revokeKey(request: RevokeApiKeyRequest): Promise<ApiKeyView> {
    return this.rpc.send(rpc.gates.keys.revoke, request);
  }

  /** UNAUTHENTICATED when no active key has this digest. */
  verifyKey(request: VerifyApiKeyRequest): Promise<VerifiedApiKey> {
    return this.rpc.send(rpc.gates.keys.verify, request);
  }

  health(timeoutMs: number): Promise<HealthReply> {
    return this.rpc.send(rpc.gates.health, {}, { timeoutMs });
  }
}
