import { main } from '../tools/load/runner';
import type { ScenarioReport } from '../tools/load/scenario-run';
import { scratchDir } from '../tools/test-support/paths';

/**
 * The CI load lane: the `short` scenario of tools/load/scenarios.json, run in-process by the load
 * runner against a spawned stack (private NATS, fresh database). It asserts correctness under
 * concurrent traffic only (no timing thresholds): zero errors, zero 5xx, every replay answered
 * duplicate:true, every drift DEDUPE_CONFLICT, the oracle clean, one ledger row per dedupe key.
 */
describe('load: short lane (e2e)', () => {
  it('runs the short scenario with zero errors and an exact ledger', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const result = await main(['--scenario', 'short', '--spawn', '--quiet', '--out-dir', scratchDir('load', 'ci')], {
      out: (t) => out.push(t),
      err: (t) => err.push(t),
    });
    const report = result.reports[0] as ScenarioReport;
    const explain = `${out.join('\n')}\n${err.join('\n')}`;
    expect({ exitCode: result.exitCode, failures: report?.failures }).toEqual({ exitCode: 0, failures: [] });
    expect(report.kind).toBe('scenario');

    const c = report.counts;
    expect(c.runsStarted).toBe(report.scenario.runs);
    expect(c.gatesPending).toBe(report.scenario.runs);
    expect(c.accepted).toBe(report.scenario.runs);
    expect(c.expectedDuplicates).toBeGreaterThan(0);
    expect(c.expectedConflicts).toBeGreaterThan(0);
    expect(c.duplicates).toBe(c.expectedDuplicates);
    expect(c.conflicts).toBe(c.expectedConflicts);

    expect(report.http.errors).toBe(0);
    expect(report.http.fiveXx).toBe(0);
    expect(report.http.errorsByStatus).toEqual({});
    expect(report.http.byKind.duplicate?.byStatus).toEqual({ '200': c.expectedDuplicates });
    expect(report.http.byKind.drift?.byStatus).toEqual({ '409': c.expectedConflicts });

    expect(report.sql.oracleOk).toBe(true);
    expect(report.sql.oracleViolations).toEqual({});
    expect(report.sql.ledgerRows).toBe(report.sql.expectedLedgerRows);
    expect(report.sql.ledgerRows).toBe(report.scenario.runs);
    expect(report.sql.runsByStatus).toEqual({ SUCCESS: report.scenario.runs });
    expect(report.sql.deadLetters).toBe(0);

    // The report carries the measurements the lane exists for (values are not asserted).
    expect(report.ratio.ratio).not.toBeNull();
    expect(report.phases.reply.postgres.samples).toBeGreaterThan(0);
    expect(report.phases.reply.cpu?.processes.map((p) => p.name)).toEqual(
      expect.arrayContaining(['gateway', 'runs', 'gates', 'escalation', 'nats-server']),
    );
    expect(explain).toContain('== short: OK');
    expect(result.files[0]).toMatch(/short-.*\.json$/);
  }, 120_000);

  it('sweeps offered rates: a fresh stack at each, in rising order, and the p99 boundary', async () => {
    const out: string[] = [];
    const result = await main(
      ['--scenario', 'short', '--runs', '12', '--spawn', '--no-baseline', '--quiet', '--rate', '40,20'],
      { out: (t) => out.push(t), err: (t) => out.push(t) },
    );
    expect(result.exitCode).toBe(0);
    const reports = result.reports as ScenarioReport[];
    expect(reports.map((r) => [r.ok, r.phases.reply.offeredRatePerS, r.counts.accepted])).toEqual([
      [true, 20, 12],
      [true, 40, 12],
    ]);
    const sweep = result.sweep!;
    expect(sweep.steps.map((s) => [s.ratePerS, s.ok, s.replyP99Ms])).toEqual([
      [20, true, reports[0].http.byKind.reply!.latencyMs.p99],
      [40, true, reports[1].http.byKind.reply!.latencyMs.p99],
    ]);
    // Whatever the machine's speed, the boundary is one of the rates that held 50 ms, or none.
    const held = sweep.steps.filter((s) => s.replyP99Ms < 50).map((s) => s.ratePerS);
    expect(sweep.holdsUpToPerS === null ? held[0] !== 20 : held.includes(sweep.holdsUpToPerS)).toBe(true);
    expect(out.join('\n')).toMatch(/reply latency by offered rate[\s\S]*\n {2}20 [\s\S]*\n {2}40 /);
    expect(result.files.at(-1)).toMatch(/short-sweep-.*\.json$/);
  }, 180_000);
});
