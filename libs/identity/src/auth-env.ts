import { existsSync } from 'node:fs';
import { IsIn, IsInt, IsNotEmpty, IsString, IsUrl, Matches, Max, Min, ValidateBy, ValidateIf } from 'class-validator';
import { PolicyEnv } from '@gatehouse/contracts';
import { JWT_ALGORITHMS, loadPublicKeyFile, type JwtSettings } from './jwt-verifier';

export const AUTH_MODES = ['off', 'required'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

/**
 * The rule of AUTH_MODE, for AuthEnv and for a process that judges no credential but must know
 * whether it runs shared (escalation refuses its development defaults under `required`).
 */
export const IsAuthMode = () => IsIn(AUTH_MODES);

type Raw = Record<string, unknown>;
const jwtConfigured = (o: Raw) => Boolean(o.AUTH_JWKS_URL) || Boolean(o.AUTH_JWT_PUBLIC_KEY_FILE);

/** Why AUTH_JWT_PUBLIC_KEY_FILE cannot be used; undefined when it is empty or fine. */
function keyFileProblem(value: unknown, o: Raw): string | undefined {
  if (value === '' || value === undefined) return undefined;
  if (typeof value !== 'string') return 'AUTH_JWT_PUBLIC_KEY_FILE must be a path';
  if (o.AUTH_JWKS_URL) return 'set AUTH_JWKS_URL or AUTH_JWT_PUBLIC_KEY_FILE, not both';
  if (!existsSync(value)) return `AUTH_JWT_PUBLIC_KEY_FILE: ${value} does not exist`;
  try {
    loadPublicKeyFile(value);
    return undefined;
  } catch (err) {
    return `AUTH_JWT_PUBLIC_KEY_FILE: not a PEM public key, JWK or JWKS (${(err as Error).message})`;
  }
}

function algorithmsProblem(value: unknown): string | undefined {
  const list = typeof value === 'string' ? value.split(',').map((a) => a.trim()) : [];
  const bad = list.filter((a) => !JWT_ALGORITHMS.includes(a));
  if (list.length === 0 || bad.length > 0) {
    return `AUTH_JWT_ALGORITHMS must be a comma-separated list of ${JWT_ALGORITHMS.join(', ')}`;
  }
  return undefined;
}

const Check = (name: string, problem: (value: unknown, o: Raw) => string | undefined) =>
  ValidateBy({
    name,
    validator: {
      validate: (value, args) => problem(value, args?.object as Raw) === undefined,
      defaultMessage: (args) => problem(args?.value, args?.object as Raw) ?? `invalid ${name}`,
    },
  });

/**
 * Identity settings every process that judges credentials reads (the gateway for HTTP, the gates
 * service for replies on the bus). See docs/security.md.
 */
export class AuthEnv extends PolicyEnv {
  /** `off`: requests without a credential act as `anonymous` (every role); `required`: they are 401. */
  @IsAuthMode()
  AUTH_MODE: string = 'off';

  @ValidateIf((o: Raw) => o.AUTH_JWKS_URL !== '')
  @IsUrl(
    { require_tld: false, require_protocol: true, protocols: ['http', 'https'] },
    { message: 'AUTH_JWKS_URL must be an http(s) URL' },
  )
  AUTH_JWKS_URL = '';

  @IsString()
  @Check('jwtKeyFile', keyFileProblem)
  AUTH_JWT_PUBLIC_KEY_FILE = '';

  @ValidateIf(jwtConfigured)
  @IsNotEmpty({ message: 'AUTH_JWT_ISSUER is required when JWTs are accepted' })
  AUTH_JWT_ISSUER = '';

  @ValidateIf(jwtConfigured)
  @IsNotEmpty({ message: 'AUTH_JWT_AUDIENCE is required when JWTs are accepted' })
  AUTH_JWT_AUDIENCE = '';

  /** Claim with the roles; a dotted path reaches a nested claim (`realm_access.roles`). */
  @Matches(/^[A-Za-z0-9_:/-]+(\.[A-Za-z0-9_:/-]+)*$/, {
    message: 'AUTH_ROLES_CLAIM must be a claim name or dotted path',
  })
  AUTH_ROLES_CLAIM = 'roles';

  @Check('jwtAlgorithms', algorithmsProblem)
  AUTH_JWT_ALGORITHMS = 'RS256,PS256,ES256,EdDSA';

  /** Tolerated clock difference with the identity provider for `exp` and `nbf`, in seconds. */
  @IsInt()
  @Min(0)
  @Max(300)
  AUTH_JWT_CLOCK_SKEW_S = 30;
}

/** The identity settings out of a validated configuration (Nest's ConfigService holds the validated values). */
export function authEnvFrom(get: (key: string) => unknown): AuthEnv {
  const env = new AuthEnv();
  for (const key of Object.keys(env)) (env as unknown as Record<string, unknown>)[key] = get(key);
  return env;
}

export function authMode(env: AuthEnv): AuthMode {
  return env.AUTH_MODE as AuthMode;
}

export function jwtSettings(env: AuthEnv): JwtSettings {
  return {
    jwksUrl: env.AUTH_JWKS_URL || undefined,
    publicKeyFile: env.AUTH_JWT_PUBLIC_KEY_FILE || undefined,
    issuer: env.AUTH_JWT_ISSUER,
    audience: env.AUTH_JWT_AUDIENCE,
    rolesClaim: env.AUTH_ROLES_CLAIM,
    algorithms: env.AUTH_JWT_ALGORITHMS.split(',').map((a) => a.trim()),
    clockToleranceS: env.AUTH_JWT_CLOCK_SKEW_S,
  };
}

/** What `npm start` and the gateway print when nobody is asked who they are. */
export const AUTH_OFF_WARNING =
  'AUTH_MODE=off: every request without a credential acts as "anonymous" with every role. ' +
  'Never expose this to a network; set AUTH_MODE=required (docs/security.md).';
