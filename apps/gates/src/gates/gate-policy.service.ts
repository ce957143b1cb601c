import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { GatePolicy, GateRisk } from '@gatehouse/contracts';
import { PolicyFileService } from '@gatehouse/messaging';
import type { GatesEnv } from '../config/gates.env';
import { resolveGatePolicy } from './gate-policy';
import { resolveGateRisk, type RiskSubjects } from './gate-risk';

/**
 * The gate policies of GATE_POLICY_FILE (read once at start by PolicyFileService). Changing the file
 * takes a restart; a gate keeps the policy it opened with.
 */
@Injectable()
export class GatePolicyService {
  private readonly defaultTimeoutS: number;

  constructor(
    private readonly policyFile: PolicyFileService,
    config: ConfigService<GatesEnv, true>,
  ) {
    this.defaultTimeoutS = config.get('HITL_GATE_TIMEOUT_S', { infer: true });
  }

  policyFor(recipeName: string, gateKey: string, subjects: RiskSubjects = {}): { policy: GatePolicy; risk: GateRisk } {
    const risk = resolveGateRisk(this.policyFile.file, recipeName, gateKey, subjects);
    const policy = resolveGatePolicy(
      this.policyFile.file,
      recipeName,
      gateKey,
      { timeoutS: this.defaultTimeoutS },
      risk,
    );
    return { policy, risk };
  }
}
