import { plainToInstance, Transform } from 'class-transformer';
import { IsIn, IsInt, Matches, Max, Min, validateSync } from 'class-validator';

type Ctor<T> = new () => T;

/** "true"/"false" (any case, trimmed) as a boolean; anything else is returned as-is for validation to reject. */
export function parseEnvBoolean(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  return v === 'true' ? true : v === 'false' ? false : value;
}

/** A decimal number as a number; anything else is returned as-is for validation to reject. */
export function parseEnvNumber(value: unknown): unknown {
  if (typeof value !== 'string' || !/^\s*[-+]?(\d+\.?\d*|\.\d+)\s*$/.test(value)) return value;
  return Number(value);
}

/**
 * Parses "true"/"false" (any case). It reads the raw value (`obj[key]`), not the one class-transformer
 * may already have converted: with a `: boolean` annotation an implicit conversion turns "false" into
 * `Boolean("false") === true`.
 */
export const BoolFromEnv = () => Transform(({ obj, key, value }) => parseEnvBoolean(obj?.[key] ?? value));

/** Settings every service process needs. */
export class CommonEnv {
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/gatehouse';

  @Matches(/^(nats|tls):\/\/[^\s,]+(,(nats|tls):\/\/[^\s,]+)*$/, {
    message: 'NATS_URL must be one or more comma-separated nats:// URLs',
  })
  NATS_URL = 'nats://127.0.0.1:4222';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /** Postgres pool size per process (see docs/configuration.md for the sizing rule). */
  @IsInt()
  @Min(1)
  @Max(200)
  DB_POOL_MAX = 10;

  /** How many JetStream messages one consumer works on at once in this process. */
  @IsInt()
  @Min(1)
  @Max(1024)
  CONSUMER_CONCURRENCY = 32;

  /** Most waiting JetStream messages one consumer commits in one transaction (1: one each). */
  @IsInt()
  @Min(1)
  @Max(1024)
  CONSUMER_BATCH_MAX = 32;

  /** Deliveries of one message before it is dead-lettered. */
  @IsInt()
  @Min(1)
  @Max(100)
  MAX_DELIVERIES = 5;

  /** Port of this process's Prometheus endpoint (GET /metrics); 0 turns it off. The gateway serves /metrics on PORT. */
  @IsInt()
  @Min(0)
  @Max(65535)
  METRICS_PORT = 0;

  /** JetStream stream replicas: 1 on a single server, 3 on a cluster. */
  @IsInt()
  @Min(1)
  @Max(5)
  STREAM_REPLICAS = 1;
}

export class EnvValidationError extends Error {}

/** Settings whose values are secrets: a validation error names them but never prints the value. */
const SECRET_SETTING = /(_KEY|SECRET|TOKEN|PASSWORD)$/;

/**
 * Validates `raw` (normally process.env) against `cls`. Unset variables keep the class defaults;
 * a bad value throws an error that names every offending variable.
 *
 * A string is converted to the type of the field's default value (number or boolean). Decorator
 * type metadata cannot be used for that: tsc and swc emit `design:type Object` for a field declared
 * as `X = 10` without an annotation, so "5" would stay a string and fail `@IsInt()`.
 */
export function validateEnv<T extends object>(cls: Ctor<T>, raw: Record<string, unknown> = process.env): T {
  const defaults = new cls() as Record<string, unknown>;
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(defaults)) {
    const v = raw[key];
    if (v === undefined || v === '') continue;
    const kind = typeof defaults[key];
    picked[key] = kind === 'number' ? parseEnvNumber(v) : kind === 'boolean' ? parseEnvBoolean(v) : v;
  }
  const instance = plainToInstance(cls, picked, { exposeDefaultValues: true });
  const errors = validateSync(instance as object, { whitelist: true });
  if (errors.length > 0) {
    const lines = errors.map((e) => {
      const given = SECRET_SETTING.test(e.property) ? '(hidden)' : JSON.stringify(raw[e.property]);
      return `  ${e.property}=${given}: ${Object.values(e.constraints ?? {}).join('; ')}`;
    });
    throw new EnvValidationError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return instance;
}
