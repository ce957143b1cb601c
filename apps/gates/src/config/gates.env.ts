import { IsInt, IsString, Max, Min, ValidateBy } from 'class-validator';
import { AuthEnv, isWellFormedApiKey } from '@gatehouse/identity';
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

/** AUTH_BOOTSTRAP_ADMIN_KEY must be empty or a well-formed Gatehouse key (`npm run keygen` makes one). */
const IsBootstrapKey = () =>
  ValidateBy({
    name: 'isBootstrapKey',
    validator: {
      validate: (value: unknown) => value === '' || (typeof value === 'string' && isWellFormedApiKey(value)),
      // Never echo the value: it is a secret.
      defaultMessage: () =>
        'AUTH_BOOTSTRAP_ADMIN_KEY is not a strong key: use one made by `npm run keygen` (gatehouse_key_..., 256 random bits)',
    },
  });

export class GatesEnv extends AuthEnv {
  /** The first admin key, used only while no admin key exists (docs/security.md). */
  @IsString()
  @IsBootstrapKey()
  AUTH_BOOTSTRAP_ADMIN_KEY = '';

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
