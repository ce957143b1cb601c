import { IsInt, IsString, Max, Min, ValidateBy } from 'class-validator';
import { CommonEnv } from '@gatehouse/contracts';
import { gatePolicyFileProblem } from '../gates/gate-policy-file';

/** GATE_POLICY_FILE must be empty or name a readable, valid policy file; the message says what is wrong. */
const IsGatePolicyFile = () =>
  ValidateBy({
    name: 'isGatePolicyFile',
    validator: {
      validate: (value: unknown) => gatePolicyFileProblem(value) === undefined,
      defaultMessage: (args) => gatePolicyFileProblem(args?.value) ?? 'invalid gate policy file',
    },
  });

export class GatesEnv extends CommonEnv {
  /** Default deadline of a gate, in seconds (1 s .. 30 days); the gate policy file may override it. */
  @IsInt()
  @Min(1)
  @Max(2_592_000)
  HITL_GATE_TIMEOUT_S = 3600;

  /**
   * Optional path of a JSON gate policy file (per recipe and gate: deadline, timeout action,
   * escalation chain), checked at start. Empty: every gate gets the defaults.
   */
  @IsString()
  @IsGatePolicyFile()
  GATE_POLICY_FILE = '';
}
