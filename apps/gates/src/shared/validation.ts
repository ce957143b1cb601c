import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { ErrorCode, GatehouseError } from '@gatehouse/contracts';

export interface FieldError {
  field: string;
  errors: string[];
}

/** Flattens nested class-validator errors into `field.path: messages`. */
export function fieldErrors(errors: ValidationError[], prefix = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors) {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    if (e.constraints) out.push({ field, errors: Object.values(e.constraints) });
    if (e.children?.length) out.push(...fieldErrors(e.children, field));
  }
  return out;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates a plain object against a class-validator class, refusing unknown fields.
 * Throws VALIDATION_FAILED with the failing fields in `details`.
 */
export function validateShape<T extends object>(cls: new () => T, value: unknown, what: string): T {
  if (!isPlainObject(value)) {
    throw new GatehouseError(ErrorCode.VALIDATION_FAILED, `${what} must be a JSON object`);
  }
  const instance = plainToInstance(cls, value);
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) {
    const details = fieldErrors(errors);
    const summary = details.map((d) => `${d.field}: ${d.errors.join(', ')}`).join('; ');
    throw new GatehouseError(ErrorCode.VALIDATION_FAILED, `invalid ${what}: ${summary}`, details);
  }
  return instance;
}
