import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import type { ResponseObject } from '@nestjs/swagger';
import { ERROR_STATUS, type ErrorCode } from '@gatehouse/contracts';
import { ref } from './view-schemas';

/** The success answer of an operation, by the name of its schema in VIEW_SCHEMAS. */
export function ApiAnswer(status: number, schema: string, description: string): MethodDecorator {
  return ApiResponse({ status, description, content: { 'application/json': { schema: ref(schema) } } });
}

/** The answer of one error status: an ErrorBody whose `error` is one of `listed`. */
export function errorAnswer(status: number, listed: ErrorCode[]): ResponseObject {
  return {
    description: listed.join(', '),
    ...(status === 503 || status === 429
      ? { headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } } }
      : {}),
    content: {
      'application/json': {
        schema: { allOf: [ref('ErrorBody'), { type: 'object', properties: { error: { enum: listed } } }] },
      },
    },
  };
}

/**
 * The error answers an operation can give, grouped by status, each with the exact codes it may
 * carry. A client can switch on `error`; the e2e suite fails on a code a route does not list.
 */
export function ApiErrors(...codes: ErrorCode[]): MethodDecorator {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(ERROR_STATUS[code], [...(byStatus.get(ERROR_STATUS[code]) ?? []), code]);
  return applyDecorators(
    ...[...byStatus].map(([status, listed]) => ApiResponse({ status, ...errorAnswer(status, listed) })),
  );
}
