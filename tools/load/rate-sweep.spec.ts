import { holdsUpTo, rateStep, summarizeSweep, type RateStep } from './rate-sweep';
import type { ScenarioReport } from './scenario-run';

const step = (ratePerS: number, replyP99Ms: number, ok = true): RateStep => ({
  ratePerS,
  repetitions: 3,
  ok,
  replyP50Ms: 1,
  replyP99Ms,
  replyP99sMs: [replyP99Ms],
  cpuMsPerReply: 10,
});

/** The parts of a scenario report a sweep reads. */
const report = (p50: number, p99: number, cpu: number, ok = true) =>
  ({
    ok,
    http: { byKind: { reply: { latencyMs: { p50, p99 } } } },
    phases: { terminal: { cpuMsPerReply: { total: cpu } } },
  }) as unknown as ScenarioReport;

describe('rate sweep', () => {
  it("takes the medians of a rate's runs", () => {
    const s = rateStep(80, [report(10, 40, 20), report(30, 90, 24), report(20, 60, 22)]);
    expect(s).toEqual({
      ratePerS: 80,
      repetitions: 3,
      ok: true,
      replyP50Ms: 20,
      replyP99Ms: 60,
      replyP99sMs: [40, 90, 60],
      cpuMsPerReply: 22,
    });
    expect(rateStep(80, [report(10, 40, 20), report(10, 40, 20, false)]).ok).toBe(false);
  });

  it('holds up to the highest rate under the target with every lower rate under it too', () => {
    expect(holdsUpTo([step(60, 30), step(80, 45), step(100, 120)], 50)).toBe(80);
    // 120/s under the target above a 100/s that is not: noise, not capacity
    expect(holdsUpTo([step(120, 40), step(60, 30), step(100, 51)], 50)).toBe(60);
    expect(holdsUpTo([step(60, 30), step(80, 20, false)], 50)).toBe(60);
    expect(holdsUpTo([step(60, 50)], 50)).toBeNull();
    expect(holdsUpTo([], 50)).toBeNull();
  });

  it('prints one line per rate and the boundary', () => {
    const text = summarizeSweep({
      scenario: 'load-1k',
      p99TargetMs: 50,
      steps: [step(60, 30), step(80, 70)],
      holdsUpToPerS: 60,
      reports: [],
    });
    expect(text.split('\n')).toHaveLength(5);
    expect(text).toMatch(/^ {2}80 +1 +70 +10 +OK/m);
    expect(text).toContain('p99 < 50 ms up to 60 replies/s');
    expect(summarizeSweep({ scenario: 'x', p99TargetMs: 50, steps: [], holdsUpToPerS: null, reports: [] })).toContain(
      'at none of the rates tried',
    );
  });
});
