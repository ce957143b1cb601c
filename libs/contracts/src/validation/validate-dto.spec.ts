import { ErrorCode } from '../errors/error-code';
import { GatehouseError } from '../errors/gatehouse.error';
import { CreateIntentDto } from '../runs/create-intent.dto';
import { StartRunDto } from '../runs/start-run.dto';
import { validateDto } from './validate-dto';

function errorOf(fn: () => unknown): GatehouseError {
  try {
    fn();
  } catch (err) {
    if (err instanceof GatehouseError) return err;
    throw err;
  }
  throw new Error('expected a GatehouseError');
}

describe('validateDto', () => {
  it('returns the DTO', () => {
    const dto = validateDto(CreateIntentDto, { goal: 'g', inputs: { a: 1 } });
    expect(dto).toBeInstanceOf(CreateIntentDto);
    expect(dto).toEqual({ goal: 'g', inputs: { a: 1 } });
  });

  it('refuses unknown fields (fail-closed), naming them', () => {
    const err = errorOf(() => validateDto(CreateIntentDto, { goal: 'g', extra: 'x' }));
    expect(err.code).toBe(ErrorCode.VALIDATION_FAILED);
    expect(err.details).toEqual([{ field: 'extra', errors: [expect.stringContaining('should not exist')] }]);
  });

  it.each([null, 'text', 42, [1, 2]])('refuses a payload that is not an object: %j', (payload) => {
    const err = errorOf(() => validateDto(CreateIntentDto, payload));
    expect(err.code).toBe(ErrorCode.VALIDATION_FAILED);
  });

  it('names nested failing fields', () => {
    const err = errorOf(() =>
      validateDto(StartRunDto, {
        intentId: 'x',
        queueName: 'intentQ',
        recipeName: 'agent-plan',
        workload: { concurrency: 0, steps: 1, sandboxMinutes: 1 },
      }),
    );
    expect(err.code).toBe(ErrorCode.VALIDATION_FAILED);
    expect(err.details).toEqual([{ field: 'workload.concurrency', errors: [expect.stringContaining('concurrency')] }]);
  });

  it('refuses a missing workload', () => {
    const err = errorOf(() =>
      validateDto(StartRunDto, { intentId: 'x', queueName: 'intentQ', recipeName: 'agent-plan' }),
    );
    expect(err.details).toEqual([{ field: 'workload', errors: expect.any(Array) }]);
  });
});
