import { Client } from 'pg';
import { LoadHttpClient } from './http-client';
import { counterDelta, STATS_SETTLE_MS, type PgCounterDelta } from './pg-counters';
import { PgSampler, type PgSamplerReport } from './pg-sampler';
import { CpuWindow, readProc, round, type CpuWindowReport, type WatchedProcess } from './proc-stats';
import { sleep } from './pool';
import type { Scenario } from './scenarios';
import { machineInfo, type HttpReport, type MachineInfo } from './scenario-run';
import { sqlChecks, type SqlChecks } from './sql-checks';
import { watchedWithBackends, type Target } from './target';
import { createRuns } from './traffic';

export interface IdleProcessStats {
  name: string;
  /** Mean CPU over the idle window, 100 = one core. */
  meanCpuPercent: number;
  /** The busiest one-second slice of the window. */
  maxCpuPercent: number;
  rssBootMb: number | null;
  rssIdleMb: number | null;
  peakRssMb: number | null;
}

export interface IdleReport {
  kind: 'idle-gates';
  scenario: Scenario;
  startedAt: string;
  machine: MachineInfo;
  target: { spawned: boolean; baseUrl: string; env?: Record<string, string>; logDir?: string };
  bringUp: {
    runsStarted: number;
    createS: number;
    createRunsPerS: number;
    /** From the first POST until every gate was PENDING, its timer armed and every outbox drained. */
    allPendingS: number | null;
    gatesPending: number;
    timersArmed: number;
    verifiedByHttp: number;
  };
  /** Before any run: the services just booted. */
  bootIdle: CpuWindowReport;
  idle: {
    windowS: number;
    processes: IdleProcessStats[];
    machineBusyPercent: number;
    /** All the stack's processes together (services + nats-server + database backends). */
    stackMeanCpuPercent: number;
    postgres: PgSamplerReport;
    /** What the database did while nothing happened, per second of the window. */
    pgCountersPerS: PgCounterDelta;
  };
  http: HttpReport;
  sql: SqlChecks;
  failures: string[];
  ok: boolean;
}

export interface IdleRunOptions {
  scenario: Scenario;
  target: Target;
  idleS: number;
  /** Bound on bringing the runs to their gates. */
  bringUpTimeoutS: number;
  log: (line: string) => void;
}

interface Progress {
  pending: number;
  armed: number;
  unpublished: number;
}

/** Gates PENDING and timers ARMED for these runs, and outbox rows not yet published (every schema). */
async function progress(c: Client, wids: readonly string[]): Promise<Progress> {
  const row = (
    await c.query<Progress>(
      `SELECT
         (SELECT count(*)::int FROM gates.gates WHERE workflow_id = ANY($1::uuid[]) AND state = 'PENDING') AS pending,
         (SELECT count(*)::int FROM escalation.timers WHERE workflow_id = ANY($1::uuid[]) AND status = 'ARMED') AS armed,
         (SELECT count(*)::int FROM runs.outbox WHERE published_at IS NULL)
         + (SELECT count(*)::int FROM gates.outbox WHERE published_at IS NULL)
         + (SELECT count(*)::int FROM escalation.outbox WHERE published_at IS NULL) AS unpublished`,
      [wids],
    )
  ).rows[0];
  return row;
}

/**
 * Idle cost (DESIGN section 5, "waiting costs nothing"): brings N runs to a pending plan gate,
 * waits until the stack has nothing left to do, then samples every process's CPU second by second
 * over the idle window, and their memory against what they used just after boot.
 */
export async function runIdle(o: IdleRunOptions): Promise<IdleReport> {
  const { scenario: s, target, log } = o;
  const startedAt = new Date().toISOString();
  const machine = await machineInfo();
  const sampler = new PgSampler(target.databaseUrl, 500);
  await sampler.connect();
  const c = new Client({ connectionString: target.databaseUrl, application_name: 'gatehouse-load-idle' });
  await c.connect();
  const http = new LoadHttpClient(target.baseUrl, s.concurrency);
  try {
    const rssBoot = new Map(target.processes().map((p) => [p.name, readProc(p.pid)?.rssMb ?? null]));
    log('boot idle: 10 s with no runs');
    const cpu = new CpuWindow();
    cpu.start(await watchedWithBackends(target, sampler));
    await sleep(10_000);
    const bootIdle = cpu.stop(await watchedWithBackends(target, sampler));

    log(`bring-up: ${s.runs} runs at concurrency ${s.concurrency}`);
    const t0 = Date.now();
    const wids = await createRuns(http, s);
    const createS = (Date.now() - t0) / 1000;
    log(`bring-up: ${wids.length} runs started in ${round(createS)} s; waiting for their gates`);
    let p: Progress = { pending: 0, armed: 0, unpublished: 0 };
    let allPendingS: number | null = null;
    let lastLog = 0;
    for (;;) {
      p = await progress(c, wids);
      if (p.pending === wids.length && p.armed === wids.length && p.unpublished === 0) {
        allPendingS = (Date.now() - t0) / 1000;
        break;
      }
      if (Date.now() - t0 > o.bringUpTimeoutS * 1000) break;
      if (Date.now() - lastLog > 10_000) {
        lastLog = Date.now();
        log(`  ${p.pending} gates pending, ${p.armed} timers armed, ${p.unpublished} outbox rows queued`);
      }
      await sleep(1000);
    }

    // The API says the same as the tables: a spread sample of the gates, one GET each.
    const step = Math.max(1, Math.floor(wids.length / 200));
    let verified = 0;
    for (let i = 0; i < wids.length; i += step) {
      const path = `/api/runs/${wids[i]}/gates/approve-plan`;
      const res = await http.get('gate', path);
      if (
        http.judge(
          'gate',
          path,
          res,
          res.status === 200 && res.body?.state === 'PENDING' ? undefined : 'expected 200 PENDING',
        )
      )
        verified++;
    }

    log(`idle: sampling CPU for ${o.idleS} s with ${p.pending} gates pending`);
    // Let the verification's statistics reach the counters before the window opens.
    await sleep(STATS_SETTLE_MS);
    const perSecond = new Map<string, number[]>();
    const whole = new CpuWindow();
    const list0: WatchedProcess[] = await watchedWithBackends(target, sampler);
    whole.start(list0);
    const counters0 = await sampler.counters();
    sampler.start();
    for (let i = 0; i < o.idleS; i++) {
      const w = new CpuWindow();
      const list = await watchedWithBackends(target, sampler);
      w.start(list);
      await sleep(1000);
      for (const proc of w.stop(await watchedWithBackends(target, sampler)).processes) {
        const key = proc.name.replace(/ \(\d+ processes\)$/, '');
        perSecond.set(key, [...(perSecond.get(key) ?? []), proc.cpuPercent]);
      }
    }
    const postgres = sampler.stop();
    const idleWindow = whole.stop(await watchedWithBackends(target, sampler));
    await sleep(STATS_SETTLE_MS); // idle backends publish their last statistics within 10 s
    const counters1 = await sampler.counters();

    const processes: IdleProcessStats[] = idleWindow.processes.map((proc) => {
      const key = proc.name.replace(/ \(\d+ processes\)$/, '');
      return {
        name: proc.name,
        meanCpuPercent: proc.cpuPercent,
        maxCpuPercent: Math.max(0, ...(perSecond.get(key) ?? [0])),
        rssBootMb: rssBoot.get(key) ?? null,
        rssIdleMb: proc.rssMb,
        peakRssMb: proc.peakRssMb,
      };
    });
    const sql = await sqlChecks(target.databaseUrl, wids, 0);
    const report: IdleReport = {
      kind: 'idle-gates',
      scenario: s,
      startedAt,
      machine,
      target: { spawned: target.spawned, baseUrl: target.baseUrl, env: target.env, logDir: target.logDir },
      bringUp: {
        runsStarted: wids.length,
        createS: round(createS, 2),
        createRunsPerS: round(wids.length / createS),
        allPendingS: allPendingS === null ? null : round(allPendingS, 1),
        gatesPending: p.pending,
        timersArmed: p.armed,
        verifiedByHttp: verified,
      },
      bootIdle,
      idle: {
        windowS: idleWindow.wallS,
        processes,
        machineBusyPercent: idleWindow.machineBusyPercent,
        stackMeanCpuPercent: round(processes.reduce((a, x) => a + x.meanCpuPercent, 0)),
        postgres,
        pgCountersPerS: counterDelta(counters0, counters1, 'seconds'),
      },
      http: {
        byKind: http.stats(),
        errorsByStatus: http.errorsByStatus,
        errors: http.unexpected,
        fiveXx: http.fiveXx,
        errorSamples: http.errorSamples,
      },
      sql,
      failures: [],
      ok: false,
    };
    const f = report.failures;
    if (report.http.errors > 0) f.push(`${report.http.errors} unexpected HTTP answers`);
    if (wids.length !== s.runs) f.push(`${s.runs - wids.length} runs did not start`);
    if (allPendingS === null) f.push(`not every gate pending within ${o.bringUpTimeoutS} s: ${JSON.stringify(p)}`);
    if (!sql.oracleOk) f.push(`oracle failed: ${Object.keys(sql.oracleViolations).join(', ')}`);
    report.ok = f.length === 0;
    return report;
  } finally {
    http.close();
    await c.end().catch(() => undefined);
    await sampler.close();
  }
}
