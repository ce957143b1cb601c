import { ErrorCode } from '../errors/error-code';
import { GatehouseError } from '../errors/gatehouse.error';
import { DEFAULT_PARTITION, INTENT_QUEUE, PARTITION_KEY_PATTERN } from './run-model';
import type { StartRunDto } from './start-run.dto';

/**
 * The queue, partition and recipe laws of POST /api/runs. Returns the partition key to use.
 * Checked by the gateway (to answer fast) and again by the runs service (which owns the law).
 * `recipes` is every recipe a run may name: the built-in ones and the policy file's (`knownRecipes`).
 */
export function checkRunLaws(dto: StartRunDto, partitionRequired: boolean, recipes: readonly string[]): string {
  if (dto.queueName !== INTENT_QUEUE) {
    throw new GatehouseError(
      ErrorCode.QUEUE_NOT_ALLOWED,
      `runs go on queue "${INTENT_QUEUE}" only, not "${dto.queueName}"`,
    );
  }
  const partition = partitionKeyOf(dto.queuePartitionKey, partitionRequired);
  if (!recipes.includes(dto.recipeName)) {
    throw new GatehouseError(
      ErrorCode.UNKNOWN_RECIPE,
      `unknown recipe "${dto.recipeName}"; known: ${recipes.join(', ')} (more are declared in GATE_POLICY_FILE)`,
    );
  }
  return partition;
}

function partitionKeyOf(raw: string | undefined, required: boolean): string {
  const key = raw?.trim() ?? '';
  if (key === '') {
    if (required) {
      throw new GatehouseError(
        ErrorCode.PARTITION_KEY_REQUIRED,
        'queuePartitionKey is required and must not be blank (SBX_QUEUE_PARTITION=true)',
      );
    }
    return DEFAULT_PARTITION;
  }
  if (!PARTITION_KEY_PATTERN.test(key)) {
    throw new GatehouseError(
      ErrorCode.VALIDATION_FAILED,
      'queuePartitionKey must be 1-128 characters of A-Z a-z 0-9 _ : @ -',
    );
  }
  return key;
}
