import { cpus, loadavg } from 'node:os';
import { runBaseline, type BaselineReport } from './baseline';
import { LoadHttpClient, type ErrorSample, type KindStats, type RequestKind } from './http-client';
import { counterDelta, STATS_SETTLE_MS, type PgCounterDelta } from './pg-counters';
import { PgSampler, type PgSamplerReport } from './pg-sampler';
import { sleep } from './pool';
import { CpuWindow, readMachineCpu, round, type CpuWindowReport } from './proc-stats';
import { planFollowUps } from './reply-plan';
import type { Scenario } from './scenarios';
import { awaitTerminal, sqlChecks, type SqlChecks } from './sql-checks';
import { watchedWithBackends, type Target } from './target';
import { awaitGates, createRuns, sendReplies, type ReplyCounts } from './traffic';

export interface MachineInfo {
  cores: number;
  model: string;
  loadAvgAtStart: number[];
  /** Busy share of all cores over 3 s before the run (other work on the shared machine). */
  busyBeforeStartPercent: number;
}

export async function machineInfo(): Promise<MachineInfo> {
  const c = cpus();
  const a = readMachineCpu();
  await sleep(3000);
  const b = readMachineCpu();
  return {
    cores: c.length,
    model: c[0]?.model ?? 'unknown',
    loadAvgAtStart: loadavg().map((v) => round(v, 2)),
    busyBeforeStartPercent: round((100 * (b.busy - a.busy)) / Math.max(1, b.total - a.total)),
  };
}

export interface PhaseReport {
  wallS: number;
  cpu?: CpuWindowReport;
}

export interface HttpReport {
  byKind: Partial<Record<RequestKind, KindStats>>;
  /** Unexpected answers by status ("0" = no HTTP answer). */
  errorsByStatus: Record<string, number>;
  errors: number;
  fiveXx: number;
  errorSamples: ErrorSample[];
}

export interface ScenarioReport {
  kind: 'scenario';
  scenario: Scenario;
  startedAt: string;
  machine: MachineInfo;
  target: { spawned: boolean; baseUrl: string; env?: Record<string, string>; logDir?: string };
  counts: ReplyCounts & {
    runsRequested: number;
    runsStarted: number;
    /** Ready count: runs whose plan gate was seen PENDING. */
    gatesPending: number;
    expectedDuplicates: number;
    expectedConflicts: number;
  };
  phases: {
    create: PhaseReport;
    ready: PhaseReport;
    reply: PhaseReport & {
      /** Accepted replies per second of the reply phase: the headline number. */
      repliesPerS: number;
      /** Every reply-phase request (replies, replays, drifts) per second. */
      requestsPerS: number;
      /** True when the runs service was paused during the phase (the reply path alone). */
      isolated: boolean;
      /** Open loop (`--rate`): the offered replies/s and how late the runner sent against it. */
      offeredRatePerS?: number;
      sendLagMs?: { p99: number; max: number };
      postgres: PgSamplerReport;
      /** Database activity during the reply phase, per accepted reply. */
      pgCounters: PgCounterDelta;
    };
    /**
     * From the first reply until every approved run is terminal: everything a reply sets off
     * (the decision, the run resuming, its remaining steps), per accepted reply.
     */
    terminal: {
      wallS: number | null;
      cpu?: CpuWindowReport;
      cpuMsPerReply?: Record<string, number>;
      /** The kernel's part of cpuMsPerReply. */
      sysCpuMsPerReply?: Record<string, number>;
      syscallsPerReply?: Record<string, number>;
      /** Context switches (all threads): roughly one per wake-up of a waiting process. */
      ctxSwitchesPerReply?: Record<string, number>;
      pgCounters?: PgCounterDelta;
    };
  };
  http: HttpReport;
  baseline:
    | (BaselineReport & {
        cpu?: CpuWindowReport;
        cpuMsPerUnit?: Record<string, number>;
        syscallsPerUnit?: Record<string, number>;
        ctxSwitchesPerUnit?: Record<string, number>;
      })
    | null;
  /** Full-stack accepted replies/s ÷ raw units/s, both measured in this run. */
  ratio: { fullStackRepliesPerS: number; rawUnitsPerS: number | null; ratio: number | null; note?: string };
  sql: SqlChecks;
  failures: string[];
  ok: boolean;
}

export interface ScenarioRunOptions {
  scenario: Scenario;
  target: Target;
  baseline: boolean;
  baselinePool?: number;
  gateTimeoutS: number;
  terminalTimeoutS: number;
  /** Pause the runs service during the reply phase (see LoadArgs.isolateReplies). */
  isolateReplies?: boolean;
  /** Open-loop reply rate (see LoadArgs.rate); closed loop at the scenario's concurrency without it. */
  replyRatePerS?: number;
  log: (line: string) => void;
}

/** Sockets the runner may open: an open loop needs one per reply in flight, however many. */
const OPEN_LOOP_MAX_SOCKETS = 512;

/** A per-process count (system calls, context switches) per unit of work, over a window. */
export function countPer(
  cpu: CpuWindowReport,
  units: number,
  count: 'syscalls' | 'ctxSwitches',
): Record<string, number> {
  return Object.fromEntries(
    cpu.processes.map((p) => [p.name.replace(/ \(\d+ processes\)$/, ''), units > 0 ? round(p[count] / units, 1) : 0]),
  );
}

/** CPU milliseconds (all, or the kernel's part) per unit of work, by process and in total, over a window. */
export function cpuMsPer(
  cpu: CpuWindowReport,
  units: number,
  part: 'cpuS' | 'sysCpuS' = 'cpuS',
): Record<string, number> {
  const out: Record<string, number> = {};
  let total = 0;
  for (const p of cpu.processes) {
    const ms = units > 0 ? (1000 * p[part]) / units : 0;
    out[p.name.replace(/ \(\d+ processes\)$/, '')] = round(ms, 2);
    total += ms;
  }
  out.total = round(total, 2);
  return out;
}

const seconds = (startMs: number) => round((Date.now() - startMs) / 1000, 3);

/**
 * One full-stack run of a scenario: the raw-unit baseline, then runs created, their plan gates
 * awaited, the reply burst (with its replays and drifts), every run awaited to a terminal status,
 * and the SQL proof.
 */
export async function runScenario(o: ScenarioRunOptions): Promise<ScenarioReport> {
  const { scenario: s, target, log } = o;
  const startedAt = new Date().toISOString();
  const machine = await machineInfo();
  const sampler = new PgSampler(target.databaseUrl);
  await sampler.connect();
  const http = new LoadHttpClient(target.baseUrl, o.replyRatePerS ? OPEN_LOOP_MAX_SOCKETS : s.concurrency);
  try {
    const cpu = new CpuWindow();
    const watched = () =>
      watchedWithBackends(target, sampler).then((w) => [...w, { name: 'load-runner', pid: process.pid }]);

    let baseline: ScenarioReport['baseline'] = null;
    let baselineNote: string | undefined;
    if (o.baseline && target.natsUrl) {
      log(`baseline: ${s.runs} raw units at concurrency ${s.concurrency}`);
      let baselineCpu: CpuWindowReport | undefined;
      const b = await runBaseline({
        databaseUrl: target.databaseUrl,
        natsUrl: target.natsUrl,
        units: s.runs,
        concurrency: s.concurrency,
        poolMax: o.baselinePool ?? Math.min(s.concurrency, 16),
        hooks: {
          beforeUnits: async () => cpu.start(await watched()),
          afterUnits: async () => {
            baselineCpu = cpu.stop(await watched());
          },
        },
      });
      baseline = {
        ...b,
        cpu: baselineCpu,
        cpuMsPerUnit: baselineCpu && cpuMsPer(baselineCpu, b.units),
        syscallsPerUnit: baselineCpu && countPer(baselineCpu, b.units, 'syscalls'),
        ctxSwitchesPerUnit: baselineCpu && countPer(baselineCpu, b.units, 'ctxSwitches'),
      };
      log(`baseline: ${b.unitsPerS} units/s, p50 ${b.latencyMs.p50} ms, p99 ${b.latencyMs.p99} ms`);
    } else {
      baselineNote = o.baseline ? 'no --nats-url: baseline skipped' : 'baseline skipped (--no-baseline)';
    }

    log(`create: ${s.runs} intents + runs at concurrency ${s.concurrency}`);
    let t = Date.now();
    cpu.start(await watched());
    const wids = await createRuns(http, s);
    const create: PhaseReport = { wallS: seconds(t), cpu: cpu.stop(await watched()) };

    log(`ready: waiting for ${wids.length} plan gates to be PENDING`);
    t = Date.now();
    cpu.start(await watched());
    const ready = await awaitGates(http, wids, s.concurrency, { timeoutMs: o.gateTimeoutS * 1000 });
    const readyPhase: PhaseReport = { wallS: seconds(t), cpu: cpu.stop(await watched()) };

    const plan = planFollowUps(ready.length, s.duplicateShare, s.driftShare);
    log(
      `reply: ${ready.length} replies, ${plan.filter((p) => p === 'duplicate').length} replays, ${plan.filter((p) => p === 'drift').length} drifts`,
    );
    const whole = new CpuWindow();
    const list = await watched();
    cpu.start(list);
    whole.start(list);
    const counters0 = await sampler.counters();
    sampler.start();
    if (o.isolateReplies) {
      if (!target.pauseService) throw new Error('--isolate-replies needs a spawned stack');
      target.pauseService('runs', true);
      log('reply: runs service paused for the reply phase (--isolate-replies)');
    }
    target.toggleProfilers?.();
    const started = process.hrtime.bigint();
    const pacing = o.replyRatePerS ? { ratePerS: o.replyRatePerS } : { concurrency: s.concurrency };
    if (o.replyRatePerS) log(`reply: open loop at ${o.replyRatePerS} replies/s`);
    const { counts, acceptedWids, paced } = await sendReplies(http, ready, plan, pacing);
    const replyS = Number(process.hrtime.bigint() - started) / 1e9;
    if (target.toggleProfilers) {
      target.toggleProfilers();
      log('profiles written by the services (reply phase only)');
    }
    const postgres = sampler.stop();
    const replyCpu = cpu.stop(await watched());
    const counters1 = await sampler.counters();
    if (o.isolateReplies) target.pauseService?.('runs', false);
    const requests = (['reply', 'duplicate', 'drift'] as const).reduce(
      (a, k) => a + (http.stats()[k]?.requests ?? 0),
      0,
    );

    // Only approved runs can finish; one whose reply failed waits at its gate (already a failure).
    log(`terminal: waiting for ${acceptedWids.length} approved runs to finish`);
    const terminalMs = await awaitTerminal(target.databaseUrl, acceptedWids, o.terminalTimeoutS * 1000);
    const wholeCpu = whole.stop(await watched());
    await sleep(STATS_SETTLE_MS); // idle backends publish their last statistics within 10 s
    const counters2 = await sampler.counters();
    log('sql: oracle and ledger checks');
    const sql = await sqlChecks(target.databaseUrl, wids, counts.distinctDedupeKeys);

    const repliesPerS = replyS > 0 ? round(counts.accepted / replyS) : 0;
    const stats = http.stats();
    const report: ScenarioReport = {
      kind: 'scenario',
      scenario: s,
      startedAt,
      machine,
      target: { spawned: target.spawned, baseUrl: target.baseUrl, env: target.env, logDir: target.logDir },
      counts: {
        runsRequested: s.runs,
        runsStarted: wids.length,
        gatesPending: ready.length,
        ...counts,
        expectedDuplicates: plan.filter((p) => p === 'duplicate').length,
        expectedConflicts: plan.filter((p) => p === 'drift').length,
      },
      phases: {
        create: create,
        ready: readyPhase,
        reply: {
          wallS: round(replyS, 3),
          cpu: replyCpu,
          repliesPerS,
          requestsPerS: replyS > 0 ? round(requests / replyS) : 0,
          isolated: o.isolateReplies === true,
          ...(o.replyRatePerS && paced
            ? { offeredRatePerS: o.replyRatePerS, sendLagMs: { p99: paced.lagP99Ms, max: paced.lagMaxMs } }
            : {}),
          postgres,
          pgCounters: counterDelta(counters0, counters1, counts.accepted),
        },
        terminal: {
          wallS: terminalMs === undefined ? null : round(terminalMs / 1000, 2),
          cpu: wholeCpu,
          cpuMsPerReply: cpuMsPer(wholeCpu, counts.accepted),
          sysCpuMsPerReply: cpuMsPer(wholeCpu, counts.accepted, 'sysCpuS'),
          syscallsPerReply: countPer(wholeCpu, counts.accepted, 'syscalls'),
          ctxSwitchesPerReply: countPer(wholeCpu, counts.accepted, 'ctxSwitches'),
          pgCounters: counterDelta(counters0, counters2, counts.accepted),
        },
      },
      http: {
        byKind: stats,
        errorsByStatus: http.errorsByStatus,
        errors: http.unexpected,
        fiveXx: http.fiveXx,
        errorSamples: http.errorSamples,
      },
      baseline,
      ratio: {
        fullStackRepliesPerS: repliesPerS,
        rawUnitsPerS: baseline?.unitsPerS ?? null,
        ratio: baseline && baseline.unitsPerS > 0 ? round(repliesPerS / baseline.unitsPerS, 3) : null,
        note: baselineNote,
      },
      sql,
      failures: [],
      ok: false,
    };
    report.failures = scenarioFailures(report);
    report.ok = report.failures.length === 0;
    return report;
  } finally {
    http.close();
    await sampler.close();
  }
}

/** Why the run fails, if it does: the checks behind the runner's exit code. No timing threshold. */
export function scenarioFailures(r: ScenarioReport): string[] {
  const f: string[] = [];
  const c = r.counts;
  if (r.http.errors > 0) f.push(`${r.http.errors} unexpected HTTP answers (${JSON.stringify(r.http.errorsByStatus)})`);
  if (r.http.fiveXx > 0) f.push(`${r.http.fiveXx} answers with a 5xx status`);
  if (c.runsStarted !== c.runsRequested) f.push(`${c.runsRequested - c.runsStarted} runs did not start`);
  if (c.gatesPending !== c.runsStarted) f.push(`${c.runsStarted - c.gatesPending} plan gates never became PENDING`);
  if (c.accepted !== c.gatesPending) f.push(`${c.gatesPending - c.accepted} replies not accepted`);
  if (c.duplicates !== c.expectedDuplicates)
    f.push(`replays: ${c.duplicates} answered duplicate:true of ${c.expectedDuplicates}`);
  if (c.conflicts !== c.expectedConflicts)
    f.push(`drifts: ${c.conflicts} answered DEDUPE_CONFLICT of ${c.expectedConflicts}`);
  if (!r.sql.oracleOk) f.push(`oracle failed: ${Object.keys(r.sql.oracleViolations).join(', ')}`);
  if (!r.sql.ledgerOk) f.push(`ledger rows ${r.sql.ledgerRows} != expected ${r.sql.expectedLedgerRows}`);
  if (r.phases.terminal.wallS === null) f.push(`runs not terminal in time: ${JSON.stringify(r.sql.runsByStatus)}`);
  const success = r.sql.runsByStatus.SUCCESS ?? 0;
  if (r.phases.terminal.wallS !== null && success !== c.accepted) {
    f.push(`every approved run should end SUCCESS: ${JSON.stringify(r.sql.runsByStatus)}`);
  }
  if (r.sql.deadLetters > 0) f.push(`${r.sql.deadLetters} dead-lettered messages`);
  return f;
}
