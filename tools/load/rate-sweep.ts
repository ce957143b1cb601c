import { median } from './latency';
import { round } from './proc-stats';
import type { ScenarioReport } from './scenario-run';

/** One offered rate of a sweep: the medians of its repetitions. */
export interface RateStep {
  ratePerS: number;
  repetitions: number;
  /** Every repetition passed its checks (no error, no 5xx, oracle clean, every run terminal). */
  ok: boolean;
  replyP50Ms: number;
  replyP99Ms: number;
  /** The repetitions' own p99s, for the spread. */
  replyP99sMs: number[];
  cpuMsPerReply: number | null;
}

export interface SweepSummary {
  scenario: string;
  p99TargetMs: number;
  steps: RateStep[];
  /**
   * The highest offered rate that holds the target, with every lower rate of the sweep holding it
   * too (a rate that passes only above a failing one is noise, not capacity); null if none does.
   */
  holdsUpToPerS: number | null;
  reports: string[];
}

export function rateStep(ratePerS: number, reports: ScenarioReport[]): RateStep {
  const p99s = reports.map((r) => r.http.byKind.reply?.latencyMs.p99 ?? Infinity);
  const cpu = reports.map((r) => r.phases.terminal.cpuMsPerReply?.total).filter((x): x is number => x !== undefined);
  return {
    ratePerS,
    repetitions: reports.length,
    ok: reports.every((r) => r.ok),
    replyP50Ms: round(median(reports.map((r) => r.http.byKind.reply?.latencyMs.p50 ?? Infinity)), 2),
    replyP99Ms: round(median(p99s), 2),
    replyP99sMs: p99s,
    cpuMsPerReply: cpu.length === reports.length ? round(median(cpu), 2) : null,
  };
}

export function holdsUpTo(steps: RateStep[], p99TargetMs: number): number | null {
  let best: number | null = null;
  for (const s of [...steps].sort((a, b) => a.ratePerS - b.ratePerS)) {
    if (!s.ok || !(s.replyP99Ms < p99TargetMs)) break;
    best = s.ratePerS;
  }
  return best;
}

export function summarizeSweep(s: SweepSummary): string {
  const lines = [`== ${s.scenario}: reply latency by offered rate (medians of each rate's runs)`];
  lines.push('  replies/s   p50 ms    p99 ms    cpu ms/reply  checks  p99 of each run');
  for (const st of s.steps) {
    lines.push(
      `  ${String(st.ratePerS).padEnd(11)} ${String(st.replyP50Ms).padEnd(9)} ${String(st.replyP99Ms).padEnd(9)} ` +
        `${String(st.cpuMsPerReply ?? '-').padEnd(13)} ${(st.ok ? 'OK' : 'FAILED').padEnd(7)} ${JSON.stringify(st.replyP99sMs)}`,
    );
  }
  lines.push(
    s.holdsUpToPerS === null
      ? `  p99 < ${s.p99TargetMs} ms at none of the rates tried`
      : `  p99 < ${s.p99TargetMs} ms up to ${s.holdsUpToPerS} replies/s (the highest rate tried that holds it, every lower one too)`,
  );
  return lines.join('\n');
}
