import 'reflect-metadata';
import { EnvValidationError, validateEnv } from '@gatehouse/contracts';
import { parsePartitionLimits, partitionLimitOf } from './partition-limits';
import { RunsEnv } from './runs.env';

describe('partition limits', () => {
  it('parses key=n pairs, spaces and empty items allowed', () => {
    expect([...parsePartitionLimits(' tenant-a=4, org:7@eu=64,,')]).toEqual([
      ['tenant-a', 4],
      ['org:7@eu', 64],
    ]);
    expect(parsePartitionLimits('').size).toBe(0);
  });

  it.each([
    ['tenant-a', /valid partition key/],
    ['=4', /valid partition key/],
    ['bad key=4', /valid partition key/],
    ['tenant-a=0', /1\.\.100000/],
    ['tenant-a=1.5', /1\.\.100000/],
    ['tenant-a=100001', /1\.\.100000/],
    ['tenant-a=2,tenant-a=3', /given twice/],
  ])('refuses %s', (text, message) => {
    expect(() => parsePartitionLimits(text)).toThrow(message);
  });

  it('falls back to the default limit for partitions without an override', () => {
    const limitOf = partitionLimitOf(8, parsePartitionLimits('vip=100'));
    expect(limitOf('vip')).toBe(100);
    expect(limitOf('anyone')).toBe(8);
  });

  it('are validated at start with the rest of the runs settings', () => {
    const env = validateEnv(RunsEnv, { PARTITION_LIMIT: '16', PARTITION_LIMITS: 'a=2', SBXQ_WINDOW: '32' });
    expect(env).toMatchObject({ PARTITION_LIMIT: 16, PARTITION_LIMITS: 'a=2', SBXQ_WINDOW: 32, INTENTQ_WINDOW: 256 });
    expect(() => validateEnv(RunsEnv, { PARTITION_LIMITS: 'a=2,a=3' })).toThrow(EnvValidationError);
    expect(() => validateEnv(RunsEnv, { PARTITION_LIMITS: 'a=2,a=3' })).toThrow(/PARTITION_LIMITS.*given twice/);
    expect(() => validateEnv(RunsEnv, { SBXQ_WINDOW: '0' })).toThrow(/SBXQ_WINDOW/);
    expect(() => validateEnv(RunsEnv, { PARTITION_LIMIT: '-1' })).toThrow(/PARTITION_LIMIT/);
  });
});
