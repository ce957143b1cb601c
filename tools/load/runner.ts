import { runBaseline } from './baseline';
import { parseLoadArgs, USAGE, UsageError, type LoadArgs } from './cli-args';
import { runIdle } from './idle';
import { medianSummary, summarize, summarizeMedians, writeReport, type LoadReport, type MedianSummary } from './report';
import { holdsUpTo, rateStep, summarizeSweep, type RateStep, type SweepSummary } from './rate-sweep';
import { runScenario, type ScenarioReport } from './scenario-run';
import { resolveScenario } from './scenarios';
import { externalTarget, spawnTarget, type Target } from './target';

export interface LoadResult {
  exitCode: number;
  reports: LoadReport[];
  files: string[];
  medians?: MedianSummary;
  sweep?: SweepSummary;
}

export interface MainIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const defaultIo: MainIo = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
};

async function withTarget<T>(args: LoadArgs, name: string, work: (t: Target) => Promise<T>): Promise<T> {
  const target = args.spawn
    ? await spawnTarget(`load-${name}`, args.env, args.profileDir)
    : externalTarget(args.baseUrl!, args.databaseUrl!, args.natsUrl);
  try {
    return await work(target);
  } finally {
    await target.stop();
  }
}

async function runOnce(args: LoadArgs, rate: number | undefined, log: (l: string) => void): Promise<LoadReport> {
  if (args.scenario === 'baseline') {
    const units = args.runs ?? 1000;
    const concurrency = args.concurrency ?? 32;
    return withTarget(args, 'baseline', async (t) => {
      if (!t.natsUrl) throw new UsageError('the baseline needs --nats-url (or --spawn)');
      const startedAt = new Date().toISOString();
      const b = await runBaseline({
        databaseUrl: t.databaseUrl,
        natsUrl: t.natsUrl,
        units,
        concurrency,
        poolMax: args.baselinePool ?? Math.min(concurrency, 16),
      });
      return { kind: 'baseline' as const, startedAt, ok: true, failures: [], ...b };
    });
  }
  const scenario = resolveScenario(args.scenario, { runs: args.runs, concurrency: args.concurrency });
  if (args.scenario === 'idle-gates') {
    return withTarget(args, 'idle', (target) =>
      runIdle({ scenario, target, idleS: args.idleS, bringUpTimeoutS: Math.max(600, scenario.runs / 5), log }),
    );
  }
  return withTarget(args, scenario.name, (target) =>
    runScenario({
      scenario,
      target,
      baseline: args.baseline,
      baselinePool: args.baselinePool,
      gateTimeoutS: args.gateTimeoutS,
      terminalTimeoutS: args.terminalTimeoutS,
      isolateReplies: args.isolateReplies,
      replyRatePerS: rate,
      log,
    }),
  );
}

/**
 * The load runner: `node dist/tools/load/runner.js --scenario <name> (--spawn | --base-url ...)`.
 * Exported for the CI short lane (e2e/load-short.e2e-spec.ts), which runs it in-process.
 * The exit code is 1 when any run failed its checks (errors, 5xx, oracle, ledger), 2 on bad usage
 * or a crash of the runner itself.
 */
export async function main(argv: string[], io: MainIo = defaultIo): Promise<LoadResult> {
  let args: LoadArgs;
  try {
    args = parseLoadArgs(argv);
    if (args.scenario !== 'baseline')
      resolveScenario(args.scenario, { runs: args.runs, concurrency: args.concurrency });
  } catch (err) {
    io.err(`${(err as Error).message}\n${USAGE}`);
    return { exitCode: 2, reports: [], files: [] };
  }
  const log = (line: string) => {
    if (!args.quiet) io.err(`[load ${new Date().toISOString().slice(11, 19)}] ${line}`);
  };
  const reports: LoadReport[] = [];
  const files: string[] = [];
  const rates = args.rates ?? [undefined];
  const steps: RateStep[] = [];
  let medians: MedianSummary | undefined;
  try {
    for (const rate of rates) {
      if (rates.length > 1) log(`rate ${rate} replies/s`);
      const atRate: LoadReport[] = [];
      const atRateFiles: string[] = [];
      for (let i = 0; i < args.repeat; i++) {
        if (args.repeat > 1) log(`repetition ${i + 1} of ${args.repeat}`);
        const report = await runOnce(args, rate, log);
        atRate.push(report);
        const file = writeReport(args.scenario, report, args.outDir);
        atRateFiles.push(file);
        io.out(summarize(report));
        io.out(`report: ${file}`);
      }
      reports.push(...atRate);
      files.push(...atRateFiles);
      medians = medianSummary(atRate, atRateFiles);
      if (medians) {
        const file = writeReport(`${args.scenario}-medians`, medians, args.outDir);
        files.push(file);
        io.out(summarizeMedians(medians));
        io.out(`medians: ${file}`);
      }
      if (rates.length > 1) steps.push(rateStep(rate!, atRate as ScenarioReport[]));
    }
  } catch (err) {
    io.err(`load run failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return { exitCode: 2, reports, files };
  }
  let sweep: SweepSummary | undefined;
  if (steps.length) {
    sweep = {
      scenario: args.scenario,
      p99TargetMs: args.p99TargetMs,
      steps,
      holdsUpToPerS: holdsUpTo(steps, args.p99TargetMs),
      reports: [...files],
    };
    const file = writeReport(`${args.scenario}-sweep`, sweep, args.outDir);
    files.push(file);
    io.out(summarizeSweep(sweep));
    io.out(`sweep: ${file}`);
  }
  return {
    exitCode: reports.every((r) => r.ok) ? 0 : 1,
    reports,
    files,
    medians: rates.length > 1 ? undefined : medians,
    sweep,
  };
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (r) => process.exit(r.exitCode),
    (err) => {
      process.stderr.write(`load runner crashed: ${String(err)}\n`);
      process.exit(2);
    },
  );
}
