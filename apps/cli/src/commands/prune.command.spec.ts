import { runCli } from '../program';
import { memoryIo } from '../test/memory-io';
import type { Pruner } from './prune.command';

describe('gatehouse prune', () => {
  const env = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/somewhere' };

  it('passes the cut-off in seconds and the dry-run flag, and prints the counts', async () => {
    const calls: unknown[] = [];
    const pruner: Pruner = async (url, options) => {
      calls.push({ url, ...options });
      return { runs: { inbox: 12, outbox: 0 }, gates: { inbox: 0, outbox: 3 } };
    };
    const io = memoryIo(env);
    expect(await runCli(['prune', '--older-than', '30d', '--dry-run'], io, { pruner })).toBe(0);
    expect(calls).toEqual([{ url: env.DATABASE_URL, olderThanS: 30 * 86_400, dryRun: true }]);
    expect(io.stdout[0]).toMatch(/^SCHEMA\s+TABLE\s+WOULD DELETE$/);
    expect(io.stdout.slice(1)).toEqual([
      expect.stringMatching(/^runs\s+inbox\s+12$/),
      expect.stringMatching(/^runs\s+outbox\s+0$/),
      expect.stringMatching(/^gates\s+inbox\s+0$/),
      expect.stringMatching(/^gates\s+outbox\s+3$/),
    ]);

    const json = memoryIo(env);
    expect(await runCli(['prune', '--older-than', '1d12h', '--json'], json, { pruner })).toBe(0);
    expect(JSON.parse(json.stdout[0])).toEqual({
      olderThanS: 129_600,
      dryRun: false,
      deleted: { runs: { inbox: 12, outbox: 0 }, gates: { inbox: 0, outbox: 3 } },
    });
  });

  it('refuses a missing or bad duration (2) and a bad DATABASE_URL (78) before touching anything', async () => {
    const pruner: Pruner = async () => {
      throw new Error('must not run');
    };
    expect(await runCli(['prune'], memoryIo(env), { pruner })).toBe(2);
    expect(await runCli(['prune', '--older-than', '0d'], memoryIo(env), { pruner })).toBe(2);
    expect(await runCli(['prune', '--older-than', 'soon'], memoryIo(env), { pruner })).toBe(2);
    expect(await runCli(['prune', '--older-than', '7d'], memoryIo({ DATABASE_URL: 'mysql://x' }), { pruner })).toBe(78);
  });
});
