import 'reflect-metadata';
import { CreateIntentDto, ErrorCode, GatehouseError, StartRunDto } from '@gatehouse/contracts';
import { validatePayload } from './validate-payload';

function errorOf(fn: () => unknown): GatehouseError {
  try {
    fn();
  } catch (err) {
    if (err instanceof GatehouseError) return err;
    throw err;
  }
  throw new Error('expected a GatehouseError');
}

describe('validatePayload', () => {
  it('returns the DTO and drops unknown fields', () => {
    const dto = validatePayload(CreateIntentDto, { goal: 'g', inputs: { a: 1 }, extra: 'x' });
    expect(dto).toBeInstanceOf(CreateIntentDto);
    expect(dto).toEqual({ goal: 'g', inputs: { a: 1 } });
  });

  it.each([null, 'text', 42, [1, 2]])('refuses a payload that is not an object: %j', (payload) => {
    const err = errorOf(() => validatePayload(CreateIntentDto, payload));
    expect(err.code).toBe(ErrorCode.VALIDATION_FAILED);
  });

  it('names nested failing fields', () => {
    const err = errorOf(() =>
      validatePayload(StartRunDto, {
        intentId: 'x',
        queueName: 'intentQ',
        recipeName: 'agent-plan',
        workload: { concurrency: 0, steps: 1, sandboxMinutes: 1 },
      }),
    );
    expect(err.code).toBe(ErrorCode.VALIDATION_FAILED);
    expect(err.details).toEqual([
      { field: 'workload.concurrency', constraints: [expect.stringContaining('concurrency')] },
    ]);
  });

  it('refuses a missing workload', () => {
    const err = errorOf(() =>
      validatePayload(StartRunDto, { intentId: 'x', queueName: 'intentQ', recipeName: 'agent-plan' }),
    );
    expect(err.details).toEqual([{ field: 'workload', constraints: expect.any(Array) }]);
  });
});
