import { createParamDecorator, Injectable, type ExecutionContext, type PipeTransform } from '@nestjs/common';
import { ErrorCode, GATE_KEY_PATTERN, GatehouseError, isValidGateKey } from '@gatehouse/contracts';

/** An integer from 0 to 30 written plainly: no sign, no fraction, no exponent, no padding. */
export const TIMEOUT_S_PATTERN = /^(?:[0-9]|[12][0-9]|30)$/;
export const MAX_LONG_POLL_S = 30;

export function parseGateKey(value: unknown): string {
  if (!isValidGateKey(value)) {
    throw new GatehouseError(ErrorCode.INVALID_GATE_KEY, `gateKey must match ${GATE_KEY_PATTERN.source}`);
  }
  return value;
}

/** `timeoutS` query parameter: absent means 0 (answer at once). */
export function parseTimeoutS(value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== 'string' || !TIMEOUT_S_PATTERN.test(value)) {
    throw new GatehouseError(ErrorCode.INVALID_TIMEOUT, `timeoutS must be an integer from 0 to ${MAX_LONG_POLL_S}`);
  }
  return Number(value);
}

@Injectable()
export class GateKeyPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    return parseGateKey(value);
  }
}

/**
 * The parsed `timeoutS` query parameter. A decorator rather than a pipe: the global ValidationPipe would
 * first turn a `number` parameter's "1.5" into 1.5 and "" into 0, hiding what the client sent.
 */
export const TimeoutS = createParamDecorator((_data: unknown, ctx: ExecutionContext): number => {
  const query = ctx.switchToHttp().getRequest<{ query?: Record<string, unknown> }>().query ?? {};
  return parseTimeoutS(query.timeoutS);
});
