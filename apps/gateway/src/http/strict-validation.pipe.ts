import { ValidationPipe, type ArgumentMetadata } from '@nestjs/common';
import { ErrorCode, GatehouseError } from '@gatehouse/contracts';

/** Keys Nest's ValidationPipe would silently delete; fail-closed means refusing them instead. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** Deeper than any valid body; also keeps recursive transforms downstream off the stack limit. */
export const MAX_BODY_DEPTH = 32;

/**
 * Refuses a body that nests deeper than MAX_BODY_DEPTH or names a prototype key anywhere.
 * Iterative, so a hostile body cannot exhaust the stack here either.
 */
export function assertSafeBody(body: unknown): void {
  const stack: { value: unknown; depth: number; path: string }[] = [{ value: body, depth: 0, path: '' }];
  while (stack.length > 0) {
    const { value, depth, path } = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_BODY_DEPTH) {
      throw new GatehouseError(ErrorCode.VALIDATION_FAILED, `the body nests deeper than ${MAX_BODY_DEPTH} levels`);
    }
    for (const key of Object.keys(value)) {
      const field = path ? `${path}.${key}` : key;
      if (FORBIDDEN_KEYS.has(key)) {
        throw new GatehouseError(ErrorCode.VALIDATION_FAILED, `property ${field} should not exist`, [
          { field, problems: [`property ${key} should not exist`] },
        ]);
      }
      stack.push({ value: (value as Record<string, unknown>)[key], depth: depth + 1, path: field });
    }
  }
}

/** The global ValidationPipe, with the body checked by assertSafeBody first. */
export class StrictValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body') assertSafeBody(value);
    return super.transform(value, metadata);
  }
}
