import { readFileSync } from 'node:fs';
import { scratchDir } from '../tools/test-support/paths';
import { loadLane } from '../tools/lanes/load-lane';

/**
 * The seed's load lanes with small counts, each against its own spawned stack: the evidence files
 * carry the seed's fields, filled from the run (the HTTP answers and the SQL of that stack).
 */
describe('load lanes (e2e)', () => {
  const read = (file: string) => JSON.parse(readFileSync(file, 'utf8'));
  let dir: string;

  beforeAll(() => {
    dir = scratchDir('e2e', `load-lanes-${Date.now()}`);
  });

  it('hitl:load:1k writes waiting, pressure and polling', async () => {
    const r = await loadLane('load-1k', ['--runs', '24', '--quiet', '--out-dir', dir], {}, dir);
    expect(r.exitCode).toBe(0);
    const e = read(r.file!);
    expect(e).toMatchObject({ lane: 'hitl:load:1k', ok: true, failures: [] });
    expect(e.waiting).toMatchObject({ readyCount: 24, runsRequested: 24, runsStarted: 24 });
    expect(e.pressure.maxWaitingLocks).toBe(e.load.phases.reply.postgres.waitingLocks.max);
    expect(e.pressure.samples).toBeGreaterThan(0);
    expect(e.polling).toMatchObject({ cadenceMs: 30_000, perGate: false });
    expect(e.final).toMatchObject({ succeeded: 24, errors: 0, fiveXx: 0, runsByStatus: { SUCCESS: 24 } });
    expect(e.rollback).toEqual({
      duplicates: { runSteps: 0, artifacts: 0, interactions: 0, decisionKeys: 0 },
      fiveXx: 0,
      pg53300: 0,
    });
    expect(e.load.sql.oracleOk).toBe(true);
  }, 180_000);

  it('hitl:burst:soak writes the burst counts, decisions and interactions', async () => {
    const r = await loadLane('burst', ['--runs', '30', '--quiet', '--out-dir', dir], {}, dir);
    expect(r.exitCode).toBe(0);
    const { burst, load } = read(r.file!);
    expect(burst.final).toMatchObject({ succeeded: 30, errors: 0, fiveXx: 0 });
    // The burst scenario sends replays and drifts: 20 % and 10 % of the gates.
    expect(burst.final.duplicates).toBe(load.counts.expectedDuplicates);
    expect(burst.final.conflicts).toBe(load.counts.expectedConflicts);
    expect(burst.final.duplicates).toBeGreaterThan(0);
    expect(burst.final.conflicts).toBeGreaterThan(0);
    expect(burst.decisions).toEqual({ duplicateDecisionKeys: 0 });
    expect(burst.interactions).toEqual({ totalRows: 30, expectedDistinct: 30 });
  }, 180_000);

  it('test:soak:hitl takes its count from HITL_SOAK_TEST_N', async () => {
    const r = await loadLane('soak', ['--quiet', '--out-dir', dir], { HITL_SOAK_TEST_N: '12' }, dir);
    expect(r.exitCode).toBe(0);
    const { soak, ok } = read(r.file!);
    expect(ok).toBe(true);
    expect(soak).toMatchObject({ runs: 12, final: { succeeded: 12, errors: 0 } });
    expect(soak.interactions).toEqual({ totalRows: 12, expectedDistinct: 12 });
  }, 180_000);

  it('refuses a bad HITL_SOAK_TEST_N before starting anything', async () => {
    expect(await loadLane('soak', [], { HITL_SOAK_TEST_N: 'lots' }, dir)).toEqual({ exitCode: 2 });
  });
});
