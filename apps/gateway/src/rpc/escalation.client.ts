import { Injectable } from '@nestjs/common';
import { ErrorCode, rpc, type EscalationView, type GetEscalationQuery } from '@gatehouse/contracts';
import type { SendOptions } from './rpc-client.service';
import { RpcClientService } from './rpc-client.service';
import { hasCode } from './rpc-error.mapping';

/** Typed request/reply calls to the escalation service. */
@Injectable()
export class EscalationClient {
  constructor(private readonly rpc: RpcClientService) {}

  /** The escalation a gate's deadline started, or null when there is none (the service answers GATE_NOT_FOUND). */
  async find(workflowId: string, gateKey: string, options?: SendOptions): Promise<EscalationView | null> {
    try {
      return await this.rpc.send<EscalationView>(
        rpc.escalation.get,
        { workflowId, gateKey } satisfies GetEscalationQuery,
        options,
      );
    } catch (err) {
      if (hasCode(err, ErrorCode.GATE_NOT_FOUND)) return null;
      throw err;
    }
  }
}
