import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scratchDir } from '../test-support/paths';
import type { BaselineReport } from './baseline';
import type { IdleReport } from './idle';
import { median } from './latency';
import type { CpuWindowReport } from './proc-stats';
import { round } from './proc-stats';
import type { ScenarioReport } from './scenario-run';

export type LoadReport =
  | ScenarioReport
  | IdleReport
  | (BaselineReport & { kind: 'baseline'; startedAt: string; ok: boolean; failures: string[] });

/** Writes the JSON report to `.tmp/load/<name>-<timestamp>.json` (or `dir`) and returns its path. */
export function writeReport(name: string, report: unknown, dir?: string): string {
  const folder = dir ?? scratchDir('load');
  mkdirSync(folder, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = join(folder, `${name}-${stamp}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}

const pad = (s: string | number, n: number) => String(s).padEnd(n);

function cpuLines(title: string, cpu: CpuWindowReport | undefined): string[] {
  if (!cpu) return [];
  const lines = [`  ${title}: ${cpu.wallS} s, machine ${cpu.machineBusyPercent}% busy of ${cpu.cores} cores`];
  for (const p of cpu.processes)
    lines.push(`    ${pad(p.name, 30)} cpu ${pad(`${p.cpuPercent}%`, 8)} rss ${p.rssMb} MB (peak ${p.peakRssMb})`);
  return lines;
}

function baselineLine(b: BaselineReport): string {
  return (
    `raw unit: ${b.unitsPerS} units/s (${b.units} units, concurrency ${b.concurrency}, pool ${b.poolMax}); ` +
    `latency ms p50 ${b.latencyMs.p50} p90 ${b.latencyMs.p90} p99 ${b.latencyMs.p99} max ${b.latencyMs.max} ` +
    `(sql p50 ${b.sqlLatencyMs.p50}, publish p50 ${b.publishLatencyMs.p50})`
  );
}

export function summarizeScenario(r: ScenarioReport): string {
  const c = r.counts;
  const lines = [
    `== ${r.scenario.name}: ${r.ok ? 'OK' : 'FAILED'} (${r.scenario.runs} runs, concurrency ${r.scenario.concurrency}; ${r.machine.cores} cores, ` +
      `${r.machine.busyBeforeStartPercent}% busy before start, load ${r.machine.loadAvgAtStart.join(' ')})`,
    `runs started ${c.runsStarted}/${c.runsRequested}; ready (gates pending) ${c.gatesPending}`,
    `replies accepted ${c.accepted}; duplicates ${c.duplicates}/${c.expectedDuplicates}; conflicts ${c.conflicts}/${c.expectedConflicts}`,
    `errors ${r.http.errors} ${JSON.stringify(r.http.errorsByStatus)}; 5xx ${r.http.fiveXx}`,
    `throughput: ${r.phases.reply.repliesPerS} accepted replies/s (${r.phases.reply.requestsPerS} reply-phase requests/s) over ${r.phases.reply.wallS} s` +
      (r.phases.reply.isolated ? ' [runs service paused: the reply path alone]' : '') +
      (r.phases.reply.offeredRatePerS
        ? ` [open loop: ${r.phases.reply.offeredRatePerS}/s offered, send lag p99 ${r.phases.reply.sendLagMs?.p99} ms]`
        : ''),
  ];
  if (r.baseline) lines.push(baselineLine(r.baseline));
  if (r.baseline?.cpuMsPerUnit) lines.push(`  cpu ms per raw unit: ${JSON.stringify(r.baseline.cpuMsPerUnit)}`);
  if (r.baseline?.syscallsPerUnit)
    lines.push(`  read/write syscalls per raw unit: ${JSON.stringify(r.baseline.syscallsPerUnit)}`);
  if (r.baseline?.ctxSwitchesPerUnit)
    lines.push(`  context switches per raw unit: ${JSON.stringify(r.baseline.ctxSwitchesPerUnit)}`);
  lines.push(
    r.ratio.ratio === null
      ? `ratio full-stack/raw: n/a (${r.ratio.note})`
      : `ratio full-stack replies/s ÷ raw units/s = ${r.ratio.fullStackRepliesPerS} ÷ ${r.ratio.rawUnitsPerS} = ${r.ratio.ratio}`,
  );
  lines.push('latency ms      count     p50     p90     p99     max   statuses');
  for (const [kind, k] of Object.entries(r.http.byKind)) {
    if (!k) continue;
    const l = k.latencyMs;
    lines.push(
      `  ${pad(kind, 12)} ${pad(l.count, 8)} ${pad(l.p50, 7)} ${pad(l.p90, 7)} ${pad(l.p99, 7)} ${pad(l.max, 7)} ${JSON.stringify(k.byStatus)}`,
    );
  }
  const pg = r.phases.reply.postgres;
  lines.push(
    `postgres during replies: waiting locks max ${pg.waitingLocks.max} (mean ${pg.waitingLocks.mean}, in ${pg.waitingLocks.samplesWithWaits}/${pg.samples} samples); ` +
      `connections max ${pg.connections.max} (mean ${pg.connections.mean}); active backends mean ${pg.activeBackends.mean}`,
  );
  lines.push(`  connections by application (max): ${JSON.stringify(pg.connections.byApplication)}`);
  lines.push(`  active backends' wait events (sample counts): ${JSON.stringify(pg.waitEvents)}`);
  lines.push(...cpuLines('cpu, create phase', r.phases.create.cpu));
  lines.push(...cpuLines('cpu, reply phase', r.phases.reply.cpu));
  const t = r.phases.terminal;
  if (t.cpuMsPerReply) {
    lines.push(`cpu ms per accepted reply, first reply to last run terminal: ${JSON.stringify(t.cpuMsPerReply)}`);
  }
  if (t.sysCpuMsPerReply) lines.push(`  of which in the kernel: ${JSON.stringify(t.sysCpuMsPerReply)}`);
  if (t.syscallsPerReply) lines.push(`  read/write syscalls per accepted reply: ${JSON.stringify(t.syscallsPerReply)}`);
  if (t.ctxSwitchesPerReply)
    lines.push(`  context switches per accepted reply: ${JSON.stringify(t.ctxSwitchesPerReply)}`);
  if (t.pgCounters) {
    const pu = t.pgCounters.perUnit;
    lines.push(
      `postgres per accepted reply, first reply to last run terminal: ${pu.xact_commit} commits, ${pu.tup_inserted} rows inserted, ` +
        `${pu.tup_updated} updated, ${pu.tup_deleted} deleted, ${round(pu.tup_returned + pu.tup_fetched)} rows read`,
    );
    lines.push(
      `  rows written per reply by table (+ins/~upd/-del): ${t.pgCounters.tablesPerUnit.map((x) => `${x.table} +${x.ins}/~${x.upd}/-${x.del}`).join(', ')}`,
    );
    lines.push(
      `  rows read per reply by table (seq scans: rows / index): ${t.pgCounters.readsPerUnit
        .slice(0, 6)
        .map((x) => `${x.table} ${x.seqScans}x:${x.seqRead}/${x.idxRead}`)
        .join(', ')}`,
    );
    lines.push(
      `  index entries read per reply (scans, entries per scan): ${t.pgCounters.indexesPerUnit
        .slice(0, 5)
        .map((x) => `${x.index} ${x.entriesRead} (${x.scans} scans, ${x.entriesPerScan}/scan)`)
        .join(', ')}`,
    );
  }
  lines.push(
    `phases: create ${r.phases.create.wallS} s, ready ${r.phases.ready.wallS} s, reply ${r.phases.reply.wallS} s, to terminal ${r.phases.terminal.wallS ?? 'TIMED OUT'} s`,
  );
  const q = r.sql;
  lines.push(
    `sql: oracle ${q.oracleOk ? 'ok' : `FAILED ${JSON.stringify(q.oracleViolations).slice(0, 400)}`}; ledger rows ${q.ledgerRows} (expected ${q.expectedLedgerRows}); ` +
      `runs ${JSON.stringify(q.runsByStatus)}; gates ${JSON.stringify(q.gatesByState)}; dead letters ${q.deadLetters}`,
  );
  for (const f of r.failures) lines.push(`FAIL: ${f}`);
  for (const e of r.http.errorSamples.slice(0, 5))
    lines.push(`  e.g. ${e.kind} ${e.status} ${e.path}: ${e.why} ${JSON.stringify(e.body).slice(0, 200)}`);
  return lines.join('\n');
}

export function summarizeIdle(r: IdleReport): string {
  const b = r.bringUp;
  const lines = [
    `== idle-gates: ${r.ok ? 'OK' : 'FAILED'} (${r.scenario.runs} runs; ${r.machine.cores} cores, ${r.machine.busyBeforeStartPercent}% busy before start)`,
    `bring-up: ${b.runsStarted} runs created in ${b.createS} s (${b.createRunsPerS}/s); all gates pending, timers armed, outboxes drained after ${b.allPendingS ?? 'TIMEOUT'} s`,
    `gates pending ${b.gatesPending}, timers armed ${b.timersArmed}, verified over HTTP ${b.verifiedByHttp}`,
    ...cpuLines('cpu with no runs (after boot)', r.bootIdle),
    `idle with ${b.gatesPending} pending gates, ${r.idle.windowS} s: stack total ${r.idle.stackMeanCpuPercent}% of one core; machine ${r.idle.machineBusyPercent}% busy`,
  ];
  for (const p of r.idle.processes) {
    lines.push(
      `    ${pad(p.name, 30)} cpu mean ${pad(`${p.meanCpuPercent}%`, 7)} max 1 s ${pad(`${round(p.maxCpuPercent)}%`, 7)} rss boot ${p.rssBootMb ?? '-'} MB -> idle ${p.rssIdleMb} MB (peak ${p.peakRssMb})`,
    );
  }
  const pg = r.idle.postgres;
  lines.push(
    `postgres while idle: connections max ${pg.connections.max}, active backends mean ${pg.activeBackends.mean}, waiting locks max ${pg.waitingLocks.max}`,
  );
  const pc = r.idle.pgCountersPerS;
  lines.push(
    `postgres per second while idle: ${pc.perUnit.xact_commit} commits, ${round(pc.perUnit.tup_returned + pc.perUnit.tup_fetched)} rows read; ` +
      `index entries read/s: ${pc.indexesPerUnit
        .slice(0, 4)
        .map((x) => `${x.index} ${x.entriesRead} (${x.entriesPerScan}/scan)`)
        .join(', ')}`,
  );
  lines.push(
    `sql: oracle ${r.sql.oracleOk ? 'ok' : 'FAILED'}; runs ${JSON.stringify(r.sql.runsByStatus)}; gates ${JSON.stringify(r.sql.gatesByState)}`,
  );
  for (const f of r.failures) lines.push(`FAIL: ${f}`);
  return lines.join('\n');
}

export function summarizeBaseline(r: BaselineReport): string {
  return `== baseline\n${baselineLine(r)}\n  unit = ${r.what}`;
}

export function summarize(r: LoadReport): string {
  if (r.kind === 'scenario') return summarizeScenario(r);
  if (r.kind === 'idle-gates') return summarizeIdle(r);
  return summarizeBaseline(r);
}

export interface MedianSummary {
  scenario: string;
  repetitions: number;
  ok: boolean;
  values: Record<string, number[]>;
  medians: Record<string, number>;
  reports: string[];
}

/** Medians over repeated runs of one scenario (the machine is shared, so one run proves little). */
export function medianSummary(reports: LoadReport[], files: string[]): MedianSummary | undefined {
  const pick: [string, (r: LoadReport) => number | null | undefined][] = [
    ['repliesPerS', (r) => (r.kind === 'scenario' ? r.phases.reply.repliesPerS : null)],
    [
      'rawUnitsPerS',
      (r) => (r.kind === 'scenario' ? r.ratio.rawUnitsPerS : r.kind === 'baseline' ? r.unitsPerS : null),
    ],
    ['ratio', (r) => (r.kind === 'scenario' ? r.ratio.ratio : null)],
    ['replyP50Ms', (r) => (r.kind === 'scenario' ? r.http.byKind.reply?.latencyMs.p50 : null)],
    ['replyP99Ms', (r) => (r.kind === 'scenario' ? r.http.byKind.reply?.latencyMs.p99 : null)],
    [
      'rawP50Ms',
      (r) => (r.kind === 'scenario' ? r.baseline?.latencyMs.p50 : r.kind === 'baseline' ? r.latencyMs.p50 : null),
    ],
    [
      'rawP99Ms',
      (r) => (r.kind === 'scenario' ? r.baseline?.latencyMs.p99 : r.kind === 'baseline' ? r.latencyMs.p99 : null),
    ],
    ['cpuMsPerReply', (r) => (r.kind === 'scenario' ? r.phases.terminal.cpuMsPerReply?.total : null)],
    ['rawCpuMsPerUnit', (r) => (r.kind === 'scenario' ? r.baseline?.cpuMsPerUnit?.total : null)],
    [
      'createS',
      (r) => (r.kind === 'scenario' ? r.phases.create.wallS : r.kind === 'idle-gates' ? r.bringUp.createS : null),
    ],
    ['stackIdleCpuPercent', (r) => (r.kind === 'idle-gates' ? r.idle.stackMeanCpuPercent : null)],
  ];
  if (reports.length < 2) return undefined;
  const values: Record<string, number[]> = {};
  for (const [name, f] of pick) {
    const v = reports.map(f).filter((x): x is number => typeof x === 'number');
    if (v.length === reports.length) values[name] = v;
  }
  const first = reports[0];
  return {
    scenario: first.kind === 'scenario' ? first.scenario.name : first.kind,
    repetitions: reports.length,
    ok: reports.every((r) => r.ok),
    values,
    medians: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, round(median(v), 3)])),
    reports: files,
  };
}

export function summarizeMedians(m: MedianSummary): string {
  const lines = [`== ${m.scenario}: medians of ${m.repetitions} runs (${m.ok ? 'all OK' : 'SOME FAILED'})`];
  for (const [k, v] of Object.entries(m.medians))
    lines.push(`  ${pad(k, 22)} ${pad(v, 10)} from ${JSON.stringify(m.values[k])}`);
  return lines.join('\n');
}
