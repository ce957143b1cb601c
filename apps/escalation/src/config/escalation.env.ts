import { IsBoolean, IsInt, IsNumber, Max, Min, ValidateBy } from 'class-validator';
import { BoolFromEnv, CommonEnv } from '@gatehouse/contracts';
import { IsAuthMode } from '@gatehouse/identity';
import { DEFAULT_RETRY_SCHEDULE_S, parseRetrySchedule } from '../webhooks/retry-schedule';

/** What is wrong with WEBHOOK_SECRET_KEY, never quoting it; undefined when it is fine. */
function secretKeyProblem(value: unknown, env: Pick<EscalationEnv, 'AUTH_MODE'>): string | undefined {
  if (typeof value !== 'string') return 'WEBHOOK_SECRET_KEY must be a string';
  if (value === '') {
    return env.AUTH_MODE === 'required'
      ? 'WEBHOOK_SECRET_KEY is required when AUTH_MODE=required: without it webhook secrets are sealed with the built-in development key (e.g. openssl rand -base64 32)'
      : undefined;
  }
  if (value.length < 32) return 'WEBHOOK_SECRET_KEY must be at least 32 characters (e.g. openssl rand -base64 32)';
  return undefined;
}

export class EscalationEnv extends CommonEnv {
  /**
   * Seconds between re-reads of the earliest armed deadline. A safety net for timers armed by a
   * replica that died (or by another replica): one cheap indexed query, never a per-gate poll.
   */
  @IsInt()
  @Min(1)
  @Max(3600)
  TIMER_RESCAN_S = 30;

  /** Read only to know whether this is a shared installation: escalation judges no credential. */
  @IsAuthMode()
  AUTH_MODE: string = 'off';

  /**
   * Encrypts the webhook endpoints' signing secrets at rest (AES-256-GCM, key = SHA-256 of this
   * value). At least 32 characters; empty uses a built-in development key and says so at start,
   * which AUTH_MODE=required refuses.
   */
  @ValidateBy({
    name: 'webhookSecretKey',
    validator: {
      validate: (value: unknown, args) => secretKeyProblem(value, args?.object as EscalationEnv) === undefined,
      defaultMessage: (args) =>
        secretKeyProblem(args?.value, args?.object as EscalationEnv) ?? 'invalid WEBHOOK_SECRET_KEY',
    },
  })
  WEBHOOK_SECRET_KEY = '';

  /** Allow http:// and private, loopback and link-local webhook addresses (tests, a lab). */
  @BoolFromEnv()
  @IsBoolean()
  WEBHOOK_ALLOW_PRIVATE = false;

  /** Seconds between retries of a failed delivery, comma-separated (Standard Webhooks' schedule). */
  @ValidateBy({
    name: 'retrySchedule',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && parseRetrySchedule(value) !== null,
      defaultMessage: () => 'WEBHOOK_RETRY_SCHEDULE_S must be comma-separated seconds, each above 0 and at most 86400',
    },
  })
  WEBHOOK_RETRY_SCHEDULE_S = DEFAULT_RETRY_SCHEDULE_S;

  /** Extra delay of a retry, as a fraction of its scheduled delay, drawn at random (0.2: up to +20%). */
  @IsNumber()
  @Min(0)
  @Max(1)
  WEBHOOK_RETRY_JITTER = 0.2;

  /** The longest `Retry-After` a receiver can ask for; a longer one is cut to this. */
  @IsInt()
  @Min(1)
  @Max(7 * 86_400)
  WEBHOOK_RETRY_AFTER_MAX_S = 86_400;

  /** How long one attempt may take (connect, send, answer) before it counts as failed. */
  @IsInt()
  @Min(100)
  @Max(120_000)
  WEBHOOK_TIMEOUT_MS = 10_000;

  /** Attempts this process makes at once, across endpoints. */
  @IsInt()
  @Min(1)
  @Max(1000)
  WEBHOOK_CONCURRENCY = 16;

  /** Milliseconds between re-reads of the delivery queue when idle (deliveries made by other replicas). */
  @IsInt()
  @Min(50)
  @Max(60_000)
  WEBHOOK_RESCAN_MS = 2000;

  /** Seconds during which a rotated secret keeps signing beside the new one. */
  @IsInt()
  @Min(0)
  @Max(30 * 86_400)
  WEBHOOK_SECRET_OVERLAP_S = 86_400;
}
