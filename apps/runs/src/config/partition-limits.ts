import { ValidateBy, type ValidationOptions } from 'class-validator';
import { PARTITION_KEY_PATTERN } from '@gatehouse/contracts';

export const MAX_PARTITION_LIMIT = 100_000;

/**
 * `PARTITION_LIMITS`: per-partition overrides of `PARTITION_LIMIT`, as `key=n` pairs separated by
 * commas (`tenant-a=4,tenant-b=64`). Each key is a valid partition key, given once; each n is an
 * integer 1..100000. Throws an Error saying what is wrong.
 */
export function parsePartitionLimits(text: string): Map<string, number> {
  const limits = new Map<string, number>();
  for (const raw of text.split(',')) {
    const pair = raw.trim();
    if (pair === '') continue;
    const eq = pair.lastIndexOf('=');
    const key = eq > 0 ? pair.slice(0, eq).trim() : '';
    const value = eq > 0 ? pair.slice(eq + 1).trim() : '';
    if (!PARTITION_KEY_PATTERN.test(key)) throw new Error(`"${pair}" does not start with a valid partition key and =`);
    if (!/^[0-9]{1,6}$/.test(value) || Number(value) < 1 || Number(value) > MAX_PARTITION_LIMIT)
      throw new Error(`"${pair}": the limit must be an integer 1..${MAX_PARTITION_LIMIT}`);
    if (limits.has(key)) throw new Error(`partition ${key} is given twice`);
    limits.set(key, Number(value));
  }
  return limits;
}

/** Validates a PARTITION_LIMITS value with parsePartitionLimits. */
export function IsPartitionLimits(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isPartitionLimits',
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string') return false;
          try {
            parsePartitionLimits(value);
            return true;
          } catch {
            return false;
          }
        },
        defaultMessage: (args) => {
          try {
            parsePartitionLimits(String(args?.value));
            return '';
          } catch (err) {
            return `PARTITION_LIMITS must be key=n pairs separated by commas: ${(err as Error).message}`;
          }
        },
      },
    },
    options,
  );
}

/** A partition's limit on work in flight per queue: its override, else the default (0: none). */
export function partitionLimitOf(defaultLimit: number, overrides: Map<string, number>): (key: string) => number {
  return (key) => overrides.get(key) ?? defaultLimit;
}
