import { Injectable } from '@nestjs/common';
import { ErrorCode, GatehouseError, isValidGateKey, type EscalationView } from '@gatehouse/contracts';
import { EscalationsRepository } from './escalations.repository';
import { isUuid } from '@gatehouse/contracts';

/** Read side of the escalations, for the gateway and operators. */
@Injectable()
export class EscalationsService {
  constructor(private readonly escalations: EscalationsRepository) {}

  async get(query: unknown): Promise<EscalationView> {
    if (!query || typeof query !== 'object' || Array.isArray(query)) {
      throw new GatehouseError(ErrorCode.VALIDATION_FAILED, 'expected {workflowId, gateKey}');
    }
    const { workflowId, gateKey } = query as { workflowId?: unknown; gateKey?: unknown };
    if (!isValidGateKey(gateKey)) {
      throw new GatehouseError(ErrorCode.INVALID_GATE_KEY, 'gateKey must match ^[a-z0-9][a-z0-9-]{0,62}$');
    }
    if (typeof workflowId !== 'string') {
      throw new GatehouseError(ErrorCode.VALIDATION_FAILED, 'workflowId must be a string');
    }
    const found = isUuid(workflowId) ? await this.escalations.find(workflowId.toLowerCase(), gateKey) : null;
    if (!found) {
      throw new GatehouseError(ErrorCode.GATE_NOT_FOUND, `no escalation for gate ${gateKey} of run ${workflowId}`);
    }
    return found;
  }
}
