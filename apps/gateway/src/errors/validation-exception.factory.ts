import type { ValidationError } from 'class-validator';
import { ErrorCode, GatehouseError } from '@gatehouse/contracts';

export interface FieldProblem {
  field: string;
  problems: string[];
}

/** Flattens class-validator's tree into one entry per failing field (`payload.choice`, `workload.steps`). */
export function flattenValidationErrors(errors: ValidationError[], prefix = ''): FieldProblem[] {
  const out: FieldProblem[] = [];
  for (const e of errors) {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const problems = Object.values(e.constraints ?? {});
    if (problems.length > 0) out.push({ field, problems });
    if (e.children?.length) out.push(...flattenValidationErrors(e.children, field));
  }
  return out;
}

/** ValidationPipe's exceptionFactory: a 400 VALIDATION_FAILED naming every failing field. */
export function validationException(errors: ValidationError[]): GatehouseError {
  const details = flattenValidationErrors(errors);
  const summary =
    details
      .flatMap((d) => d.problems)
      .slice(0, 5)
      .join('; ') || 'the request does not match the schema';
  return new GatehouseError(ErrorCode.VALIDATION_FAILED, summary, details);
}
