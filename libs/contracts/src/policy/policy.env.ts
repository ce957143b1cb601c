import { IsString, ValidateBy } from 'class-validator';
import { CommonEnv } from '../config/env';
import { policyFileProblem } from './load-policy-file';

/** GATE_POLICY_FILE must be empty or name a readable, valid policy file; the message says what is wrong. */
const IsPolicyFile = () =>
  ValidateBy({
    name: 'isPolicyFile',
    validator: {
      validate: (value: unknown) => policyFileProblem(value) === undefined,
      defaultMessage: (args) => policyFileProblem(args?.value) ?? 'invalid gate policy file',
    },
  });

/** Settings of every process that checks the recipe law or applies gate policies (gateway, runs, gates). */
export class PolicyEnv extends CommonEnv {
  /**
   * Optional path of the gate policy file (YAML or JSON): declared recipes and, per recipe and gate,
   * deadline, timeout action and escalation chain. Checked at start. Empty: built-in recipes, defaults.
   */
  @IsString()
  @IsPolicyFile()
  GATE_POLICY_FILE = '';
}
