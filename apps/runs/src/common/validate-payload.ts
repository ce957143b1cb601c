import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { ErrorCode, GatehouseError } from '@gatehouse/contracts';

export interface FieldError {
  field: string;
  constraints: string[];
}

/**
 * Validates a request/reply payload against its contracts DTO. The gateway validated it already;
 * the runs service checks again because it owns the data and must never store a bad value.
 */
export function validatePayload<T extends object>(cls: new () => T, payload: unknown): T {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new GatehouseError(ErrorCode.VALIDATION_FAILED, 'the request must be a JSON object');
  }
  const instance = plainToInstance(cls, payload);
  const errors = validateSync(instance, { whitelist: true, forbidUnknownValues: true });
  if (errors.length > 0) {
    const details = flatten(errors);
    const summary = details.map((d) => `${d.field}: ${d.constraints.join(', ')}`).join('; ');
    throw new GatehouseError(ErrorCode.VALIDATION_FAILED, `invalid request: ${summary}`, details);
  }
  return instance;
}

function flatten(errors: ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = e.constraints ? [{ field, constraints: Object.values(e.constraints) }] : [];
    return [...own, ...flatten(e.children ?? [], field)];
  });
}
