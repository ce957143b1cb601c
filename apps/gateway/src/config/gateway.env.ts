import { IsBoolean, IsInt, IsString, Max, Min, ValidateBy } from 'class-validator';
import { BoolFromEnv } from '@gatehouse/contracts';
import { AuthEnv, signedSourcesFileProblem } from '@gatehouse/identity';
import { trustProxyProblem } from './trust-proxy';

const IsSignedSourcesFile = () =>
  ValidateBy({
    name: 'isSignedSourcesFile',
    validator: {
      validate: (value: unknown) => signedSourcesFileProblem(value) === undefined,
      defaultMessage: (args) => signedSourcesFileProblem(args?.value) ?? 'invalid INGRESS_SOURCES_FILE',
    },
  });

const IsTrustProxy = () =>
  ValidateBy({
    name: 'isTrustProxy',
    validator: {
      validate: (value: unknown) => trustProxyProblem(value) === undefined,
      defaultMessage: (args) => trustProxyProblem(args?.value) ?? 'invalid TRUST_PROXY',
    },
  });

/**
 * Settings of the HTTP gateway (validated at start; a bad value stops the process). GATE_POLICY_FILE
 * (PolicyEnv, through AuthEnv) gives the declared recipes of the recipe law.
 */
export class GatewayEnv extends AuthEnv {
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT = 3001;

  /** Largest accepted JSON body; a bigger one is 413 PAYLOAD_TOO_LARGE. */
  @IsInt()
  @Min(1)
  @Max(10240)
  HTTP_BODY_LIMIT_KB = 256;

  /** How long a request/reply call to a backing service may take before the gateway answers 503. */
  @IsInt()
  @Min(100)
  @Max(120000)
  RPC_TIMEOUT_MS = 5000;

  /** Partition law of POST /api/runs (DESIGN section 2): a non-blank queuePartitionKey is required. */
  @BoolFromEnv()
  @IsBoolean()
  SBX_QUEUE_PARTITION = true;

  /** Open long-polls this process holds at most; one more is 503 OVERLOADED. */
  @IsInt()
  @Min(1)
  @Max(1000000)
  LONG_POLL_MAX_WAITERS = 10000;

  /**
   * How long a verified (or refused) API key is remembered, in ms. Bounded by 5 s: a revoked key
   * stops working on every replica within that time.
   */
  @IsInt()
  @Min(0)
  @Max(5000)
  AUTH_KEY_CACHE_MS = 2000;

  /** Failed authentications one client address may make per window before it is answered 429. */
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  AUTH_FAILURE_LIMIT = 30;

  @IsInt()
  @Min(1)
  @Max(3600)
  AUTH_FAILURE_WINDOW_S = 60;

  /**
   * Which proxies' X-Forwarded-For is believed (parseTrustProxy): the client address that
   * per-address limits count is the socket's unless the request came through a trusted proxy.
   */
  @IsString()
  @IsTrustProxy()
  TRUST_PROXY = 'false';

  /** YAML or JSON list of the external receiver's signed sources (docs/security.md); empty: none. */
  @IsString()
  @IsSignedSourcesFile()
  INGRESS_SOURCES_FILE = '';
}
