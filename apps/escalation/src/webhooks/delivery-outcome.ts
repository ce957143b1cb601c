import { AttemptOutcome } from '@gatehouse/contracts';
import { nextDelayMs, parseRetryAfter } from './retry-schedule';
import type { SendResult } from './webhook-sender';

export interface RetryPolicy {
  schedule: number[];
  jitter: number;
  retryAfterMaxMs: number;
  random?: () => number;
}

/**
 * How an attempt ends: 2xx delivered; 410 Gone disables the endpoint; anything else (another status,
 * no answer, a refused address) is retried on the schedule, honouring `Retry-After`, until the
 * schedule is spent and the delivery is dead-lettered. `failed` counts this attempt.
 */
export function decideOutcome(
  result: Pick<SendResult, 'status' | 'retryAfter'>,
  failed: number,
  policy: RetryPolicy,
  now = Date.now(),
): { outcome: AttemptOutcome; nextAttemptAt: Date | null } {
  if (result.status !== null && result.status >= 200 && result.status < 300) {
    return { outcome: AttemptOutcome.DELIVERED, nextAttemptAt: null };
  }
  if (result.status === 410) return { outcome: AttemptOutcome.GONE, nextAttemptAt: null };
  const delay = nextDelayMs(policy.schedule, failed, {
    jitter: policy.jitter,
    retryAfterMs: parseRetryAfter(result.retryAfter, now),
    retryAfterMaxMs: policy.retryAfterMaxMs,
    random: policy.random,
  });
  if (delay === null) return { outcome: AttemptOutcome.DEAD, nextAttemptAt: null };
  return { outcome: AttemptOutcome.RETRY, nextAttemptAt: new Date(now + delay) };
}
