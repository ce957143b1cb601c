import { ErrorCode } from '../errors/error-code';
import { GatehouseError } from '../errors/gatehouse.error';

/**
 * Keys that could reach a prototype, or that name a member every object inherits (`toString`,
 * `valueOf`, ...): class-validator's whitelist sees those as present on the DTO and lets an unknown
 * field of that name through. Refused, not deleted.
 */
const FORBIDDEN_KEYS = new Set([
  '__proto__',
  'constructor',
  'prototype',
  ...Object.getOwnPropertyNames(Object.prototype),
]);
/** Deeper than any valid body; also keeps recursive transforms downstream off the stack limit. */
export const MAX_BODY_DEPTH = 32;

function refuse(field: string, problem: string): never {
  throw new GatehouseError(ErrorCode.VALIDATION_FAILED, `${field || 'body'}: ${problem}`, [
    { field: field || 'body', errors: [problem] },
  ]);
}

/**
 * Refuses a body that nests deeper than MAX_BODY_DEPTH, names a prototype key anywhere, or holds a
 * NUL character (Postgres text and jsonb cannot store U+0000, so it would fail the transaction).
 * Iterative, so a hostile body cannot exhaust the stack here either.
 */
export function assertSafeBody(body: unknown): void {
  const stack: { value: unknown; depth: number; path: string }[] = [{ value: body, depth: 0, path: '' }];
  while (stack.length > 0) {
    const { value, depth, path } = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) refuse(path, 'must not contain a NUL character');
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_BODY_DEPTH) refuse(path, `nests deeper than ${MAX_BODY_DEPTH} levels`);
    for (const key of Object.keys(value)) {
      const field = path ? `${path}.${key}` : key;
      if (FORBIDDEN_KEYS.has(key)) refuse(field, `property ${key} should not exist`);
      if (key.includes('\u0000')) refuse(path, 'a property name must not contain a NUL character');
      stack.push({ value: (value as Record<string, unknown>)[key], depth: depth + 1, path: field });
    }
  }
}
