import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventKeyKind } from '@gatehouse/contracts';
import type { ScenarioReport } from '../load/scenario-run';

/** Duplicates the oracle found, by the seed's rollback categories (0 everywhere on a good run). */
export interface DuplicateCounts {
  runSteps: number;
  artifacts: number;
  interactions: number;
  decisionKeys: number;
}

/** The rollback inputs every load lane records: duplicates, 5xx answers, Postgres refusals (53300). */
export interface RollbackEvidence {
  duplicates: DuplicateCounts;
  fiveXx: number;
  /** Connections Postgres refused (53300) as the services logged them; null when their logs are not here. */
  pg53300: number | null;
}

/** Counts the oracle's duplicate sets (only non-empty sets are in `oracleViolations`). */
export function duplicateCounts(oracleViolations: Record<string, unknown[]>): DuplicateCounts {
  const rows = (name: string) => oracleViolations[name] ?? [];
  return {
    runSteps: rows('duplicateRunSteps').length,
    artifacts: rows('duplicateArtifacts').length,
    interactions: rows('duplicateInteractions').length,
    decisionKeys: rows('repeatedPromptOrDecisionEvents').filter(
      (r) => eventKeyKind(String((r as { key?: unknown }).key)) === 'decision',
    ).length,
  };
}

/** "too many clients" as Postgres words a 53300, or the code in a JSON log line (a bare 53300 could be a timestamp). */
const REFUSED = /too many clients|"code":"53300"/g;

/** Counts refused connections in the service logs of a spawned stack; null without a log folder. */
export function countPgRefusals(logDir: string | undefined): number | null {
  if (!logDir || !existsSync(logDir)) return null;
  let n = 0;
  for (const name of readdirSync(logDir)) {
    if (name.endsWith('.log')) n += (readFileSync(join(logDir, name), 'utf8').match(REFUSED) ?? []).length;
  }
  return n;
}

export function rollbackEvidence(r: ScenarioReport): RollbackEvidence {
  return {
    duplicates: duplicateCounts(r.sql.oracleViolations),
    fiveXx: r.http.fiveXx,
    pg53300: countPgRefusals(r.target.logDir),
  };
}

/** The counts every lane reports the same way. */
function finalCounts(r: ScenarioReport) {
  return {
    succeeded: r.counts.accepted,
    errors: r.http.errors,
    fiveXx: r.http.fiveXx,
    errorsByStatus: r.http.errorsByStatus,
    duplicates: r.counts.duplicates,
    expectedDuplicates: r.counts.expectedDuplicates,
    conflicts: r.counts.conflicts,
    expectedConflicts: r.counts.expectedConflicts,
    runsByStatus: r.sql.runsByStatus,
  };
}

/** Pass only when the runner's checks passed and Postgres refused nothing. */
function laneOk(r: ScenarioReport, rollback: RollbackEvidence): boolean {
  return r.ok && !rollback.pg53300;
}

function common(lane: string, r: ScenarioReport, reportFile: string) {
  const rollback = rollbackEvidence(r);
  const failures = [...r.failures];
  if (rollback.pg53300) failures.push(`Postgres refused ${rollback.pg53300} connections (53300)`);
  return { lane, ok: laneOk(r, rollback), startedAt: r.startedAt, failures, rollback, reportFile };
}

/**
 * `.tmp/hitl-load-1k-report.json`: the seed's fields, then the runner's whole report under `load`.
 * `polling.cadenceMs` is the product's only periodic read while gates wait: the escalation service
 * re-reads its earliest armed deadline every TIMER_RESCAN_S. Nothing polls per gate.
 */
export function load1kEvidence(r: ScenarioReport, reportFile: string, timerRescanS: number) {
  const pg = r.phases.reply.postgres;
  return {
    ...common('hitl:load:1k', r, reportFile),
    waiting: {
      readyCount: r.counts.gatesPending,
      runsRequested: r.counts.runsRequested,
      runsStarted: r.counts.runsStarted,
      readyWallS: r.phases.ready.wallS,
    },
    pressure: {
      maxWaitingLocks: pg.waitingLocks.max,
      meanWaitingLocks: pg.waitingLocks.mean,
      maxConnections: pg.connections.max,
      sampleIntervalMs: pg.intervalMs,
      samples: pg.samples,
    },
    polling: {
      cadenceMs: timerRescanS * 1000,
      perGate: false,
      what: 'escalation re-reads the earliest armed deadline (TIMER_RESCAN_S); gates wait without polling',
    },
    final: finalCounts(r),
    throughput: {
      repliesPerS: r.phases.reply.repliesPerS,
      replyP99Ms: r.http.byKind.reply?.latencyMs.p99 ?? null,
    },
    load: r,
  };
}

/** `.tmp/hitl-burst-reply-report.json`: the seed's `.burst` fields, then the runner's whole report. */
export function burstEvidence(r: ScenarioReport, reportFile: string) {
  const c = common('hitl:burst:soak', r, reportFile);
  return {
    ...c,
    burst: {
      scenario: r.scenario.name,
      final: finalCounts(r),
      decisions: { duplicateDecisionKeys: c.rollback.duplicates.decisionKeys },
      interactions: { totalRows: r.sql.ledgerRows, expectedDistinct: r.sql.expectedLedgerRows },
    },
    load: r,
  };
}

/** `.tmp/hitl-soak-report.json` of `test:soak:hitl`. */
export function soakEvidence(r: ScenarioReport, reportFile: string) {
  const c = common('test:soak:hitl', r, reportFile);
  return {
    ...c,
    soak: {
      runs: r.scenario.runs,
      final: finalCounts(r),
      decisions: { duplicateDecisionKeys: c.rollback.duplicates.decisionKeys },
      interactions: { totalRows: r.sql.ledgerRows, expectedDistinct: r.sql.expectedLedgerRows },
      wallS: round2(
        r.phases.create.wallS + r.phases.ready.wallS + r.phases.reply.wallS + (r.phases.terminal.wallS ?? 0),
      ),
    },
    load: r,
  };
}

const round2 = (n: number) => Math.round(n * 100) / 100;
