import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { ErrorCode } from '../errors/error-code';
import { GatehouseError } from '../errors/gatehouse.error';
import { assertSafeBody } from './safe-body';

/** One failing field of a request, in `details` of a VALIDATION_FAILED error. */
export interface FieldError {
  field: string;
  errors: string[];
}

/** Flattens class-validator's tree into one entry per failing field (`payload.choice`, `workload.steps`). */
export function fieldErrors(errors: ValidationError[], prefix = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors) {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const messages = Object.values(e.constraints ?? {});
    if (messages.length > 0) out.push({ field, errors: messages });
    if (e.children?.length) out.push(...fieldErrors(e.children, field));
  }
  return out;
}

/** A 400 VALIDATION_FAILED naming every failing field. */
export function validationError(errors: ValidationError[], what = 'request'): GatehouseError {
  const details = fieldErrors(errors);
  const summary = details
    .slice(0, 5)
    .map((d) => `${d.field}: ${d.errors.join(', ')}`)
    .join('; ');
  return new GatehouseError(
    ErrorCode.VALIDATION_FAILED,
    `invalid ${what}: ${summary || 'does not match the schema'}`,
    details,
  );
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates a plain object against a contracts DTO, refusing unknown fields: how services re-check
 * what reaches them over NATS (the gateway checked it too, but the owner of the data never trusts it).
 */
export function validateDto<T extends object>(cls: new () => T, value: unknown, what = 'request'): T {
  if (!isPlainObject(value)) {
    throw new GatehouseError(ErrorCode.VALIDATION_FAILED, `${what} must be a JSON object`);
  }
  assertSafeBody(value);
  const instance = plainToInstance(cls, value);
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) throw validationError(errors, what);
  return instance;
}
