import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EscalationEnv } from '../../apps/escalation/src/config/escalation.env';
import { main as runLoad } from '../load/runner';
import type { ScenarioReport } from '../load/scenario-run';
import { evidenceDir } from './evidence-dir';
import { burstEvidence, load1kEvidence, soakEvidence } from './load-evidence';

/**
 * The seed's load lanes over the load runner (tools/load): `hitl:load:1k` (scenario load-1k),
 * `hitl:burst:soak` (burst) and `test:soak:hitl` (soak, HITL_SOAK_TEST_N runs). Each runs the
 * scenario once against a private stack (or, given --base-url and --database-url, a running one),
 * writes the seed's evidence file under .tmp/ (see evidence-dir.ts), and exits 1 when a check failed.
 * Usage: node dist/tools/lanes/load-lane.js <load-1k|burst|soak> [load runner options]
 */
const LANES: Record<string, { scenario: string; file: string }> = {
  'load-1k': { scenario: 'load-1k', file: 'hitl-load-1k-report.json' },
  burst: { scenario: 'burst', file: 'hitl-burst-reply-report.json' },
  soak: { scenario: 'soak', file: 'hitl-soak-report.json' },
};

/** HITL_SOAK_TEST_N: how many runs the soak drives (default 120, the seed's example). */
export function soakRuns(env: NodeJS.ProcessEnv): number {
  const raw = env.HITL_SOAK_TEST_N ?? '120';
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new Error(`HITL_SOAK_TEST_N must be a positive integer, got "${raw}"`);
  }
  return n;
}

export function runnerArgs(lane: string, passthrough: string[], env: NodeJS.ProcessEnv): string[] {
  const args = ['--scenario', LANES[lane].scenario, ...passthrough];
  if (!passthrough.includes('--base-url')) args.push('--spawn');
  // The lanes prove correctness under load; the raw-unit baseline is for performance work.
  if (!passthrough.includes('--baseline')) args.push('--no-baseline');
  if (lane === 'soak' && !passthrough.includes('--runs')) args.push('--runs', String(soakRuns(env)));
  return args;
}

export async function loadLane(
  lane: string,
  passthrough: string[],
  env: NodeJS.ProcessEnv = process.env,
  outDir = evidenceDir(env),
): Promise<{ exitCode: number; file?: string }> {
  if (!LANES[lane]) {
    process.stderr.write(`unknown lane "${lane}"; known: ${Object.keys(LANES).join(', ')}\n`);
    return { exitCode: 2 };
  }
  let args: string[];
  try {
    args = runnerArgs(lane, passthrough, env);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return { exitCode: 2 };
  }
  const result = await runLoad(args);
  const report = result.reports[0] as ScenarioReport | undefined;
  if (!report || report.kind !== 'scenario') return { exitCode: result.exitCode === 0 ? 2 : result.exitCode };
  const reportFile = result.files[0];
  const timerRescanS = Number(
    report.target.env?.TIMER_RESCAN_S ?? env.TIMER_RESCAN_S ?? new EscalationEnv().TIMER_RESCAN_S,
  );
  const evidence =
    lane === 'load-1k'
      ? load1kEvidence(report, reportFile, timerRescanS)
      : lane === 'burst'
        ? burstEvidence(report, reportFile)
        : soakEvidence(report, reportFile);
  const file = join(outDir, LANES[lane].file);
  writeFileSync(file, `${JSON.stringify(evidence, null, 2)}\n`);
  process.stdout.write(`${evidence.ok ? 'PASS' : 'FAIL'} ${evidence.lane}\n  evidence: ${file}\n`);
  for (const f of evidence.failures) process.stdout.write(`  FAIL: ${f}\n`);
  return { exitCode: evidence.ok ? 0 : 1, file };
}

if (require.main === module) {
  const [lane, ...rest] = process.argv.slice(2);
  loadLane(lane ?? '', rest).then(
    (r) => process.exit(r.exitCode),
    (err) => {
      process.stderr.write(`load lane crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(2);
    },
  );
}
