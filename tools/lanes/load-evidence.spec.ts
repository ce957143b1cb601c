import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countPgRefusals, duplicateCounts } from './load-evidence';
import { runnerArgs, soakRuns } from './load-lane';

describe('load lane evidence', () => {
  it('counts the oracle duplicate sets by rollback category, decision keys apart from prompts', () => {
    expect(duplicateCounts({})).toEqual({ runSteps: 0, artifacts: 0, interactions: 0, decisionKeys: 0 });
    expect(
      duplicateCounts({
        duplicateRunSteps: [{ run_id: 'r', step_id: 'CompileST', attempt: 1, n: 2 }],
        duplicateInteractions: [{}, {}],
        repeatedPromptOrDecisionEvents: [
          { workflow_id: 'w', key: 'decision:approve-plan', n: 2 },
          { workflow_id: 'w', key: 'ui:approve-plan', n: 2 },
          { workflow_id: 'v', key: 'decision:approve-plan-e1', n: 3 },
        ],
      }),
    ).toEqual({ runSteps: 1, artifacts: 0, interactions: 2, decisionKeys: 2 });
  });

  it('counts connections Postgres refused (53300) in the service logs, not timestamps that contain 53300', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lane-logs-'));
    try {
      writeFileSync(join(dir, 'gates-0.log'), '{"time":1765300053300,"msg":"ok"}\n');
      expect(countPgRefusals(dir)).toBe(0);
      writeFileSync(
        join(dir, 'runs-0.log'),
        '{"err":{"code":"53300"},"msg":"x"}\n{"err":{"message":"sorry, too many clients already"}}\n',
      );
      writeFileSync(join(dir, 'notes.txt'), 'too many clients\n');
      expect(countPgRefusals(dir)).toBe(1 + 0 + 1);
      expect(countPgRefusals(undefined)).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes the soak count from HITL_SOAK_TEST_N and refuses anything but a positive integer', () => {
    expect(soakRuns({})).toBe(120);
    expect(soakRuns({ HITL_SOAK_TEST_N: '7' })).toBe(7);
    for (const bad of ['0', '-3', '2.5', 'ten', ''])
      expect(() => soakRuns({ HITL_SOAK_TEST_N: bad })).toThrow('HITL_SOAK_TEST_N must be a positive integer');
  });

  it('spawns a stack unless given one, and skips the baseline unless asked', () => {
    expect(runnerArgs('burst', [], {})).toEqual(['--scenario', 'burst', '--spawn', '--no-baseline']);
    expect(runnerArgs('soak', ['--quiet'], { HITL_SOAK_TEST_N: '9' })).toEqual([
      '--scenario',
      'soak',
      '--quiet',
      '--spawn',
      '--no-baseline',
      '--runs',
      '9',
    ]);
    const external = ['--base-url', 'http://127.0.0.1:3001', '--database-url', 'postgres://h/db', '--baseline'];
    expect(runnerArgs('load-1k', external, {})).toEqual(['--scenario', 'load-1k', ...external]);
  });
});
