import { ErrorCode } from '../errors/error-code';
import { GatehouseError } from '../errors/gatehouse.error';
import { BUILT_IN_RECIPES } from '../policy/recipes';
import { checkRunLaws } from './run-laws';
import type { StartRunDto } from './start-run.dto';

const run = (over: Partial<StartRunDto> = {}): StartRunDto => ({
  intentId: 'i',
  queueName: 'intentQ',
  queuePartitionKey: 'tenant-008',
  recipeName: 'compile-default',
  workload: { concurrency: 1, steps: 1, sandboxMinutes: 1 },
  ...over,
});

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof GatehouseError ? err.code : String(err);
  }
};

describe('checkRunLaws: the recipe law', () => {
  it.each([...BUILT_IN_RECIPES])('accepts the built-in recipe %s without any declaration', (recipeName) => {
    expect(checkRunLaws(run({ recipeName }), true, BUILT_IN_RECIPES)).toBe('tenant-008');
  });

  it('accepts a recipe the policy file declares, and only where it is declared', () => {
    expect(checkRunLaws(run({ recipeName: 'canary' }), true, [...BUILT_IN_RECIPES, 'canary'])).toBe('tenant-008');
    expect(codeOf(() => checkRunLaws(run({ recipeName: 'canary' }), true, BUILT_IN_RECIPES))).toBe(
      ErrorCode.UNKNOWN_RECIPE,
    );
  });

  it('refuses any other recipe with UNKNOWN_RECIPE, listing the known ones', () => {
    expect(() => checkRunLaws(run({ recipeName: 'yolo' }), true, BUILT_IN_RECIPES)).toThrow(
      /unknown recipe "yolo"; known: compile-default, agent-plan, deploy, data-migration/,
    );
    expect(codeOf(() => checkRunLaws(run({ recipeName: 'Compile-Default' }), true, BUILT_IN_RECIPES))).toBe(
      ErrorCode.UNKNOWN_RECIPE,
    );
  });

  it('checks the queue and partition laws first, with their own codes', () => {
    expect(codeOf(() => checkRunLaws(run({ queueName: 'sbxQ', recipeName: 'yolo' }), true, BUILT_IN_RECIPES))).toBe(
      ErrorCode.QUEUE_NOT_ALLOWED,
    );
    expect(
      codeOf(() => checkRunLaws(run({ queuePartitionKey: ' ', recipeName: 'yolo' }), true, BUILT_IN_RECIPES)),
    ).toBe(ErrorCode.PARTITION_KEY_REQUIRED);
  });
});
