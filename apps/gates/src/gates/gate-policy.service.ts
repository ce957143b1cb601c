import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { GatePolicy } from '@gatehouse/contracts';
import type { GatesEnv } from '../config/gates.env';
import { loadGatePolicyFile, type GatePolicyFile } from './gate-policy-file';
import { resolveGatePolicy } from './gate-policy';

/**
 * The gate policies of GATE_POLICY_FILE, read once at start (the environment check already refused a
 * bad file with exit 78). Changing the file takes a restart; a gate keeps the policy it opened with.
 */
@Injectable()
export class GatePolicyService {
  private readonly logger = new Logger(GatePolicyService.name);
  private readonly file: GatePolicyFile;
  private readonly defaultTimeoutS: number;

  constructor(config: ConfigService<GatesEnv, true>) {
    const path = config.get('GATE_POLICY_FILE', { infer: true });
    this.defaultTimeoutS = config.get('HITL_GATE_TIMEOUT_S', { infer: true });
    this.file = path ? loadGatePolicyFile(path) : {};
    if (path) {
      const entries = Object.values(this.file).reduce((n, gates) => n + Object.keys(gates).length, 0);
      this.logger.log({ msg: 'gate policy file loaded', path, entries });
    }
  }

  policyFor(recipeName: string, gateKey: string): GatePolicy {
    return resolveGatePolicy(this.file, recipeName, gateKey, { timeoutS: this.defaultTimeoutS });
  }
}
