import { IsInt, IsString, Max, Min, ValidateBy } from 'class-validator';
import { AuthEnv, isWellFormedApiKey } from '@gatehouse/identity';

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

/** GATE_POLICY_FILE (the gate policies and declared recipes) comes from PolicyEnv, through AuthEnv. */
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
}
