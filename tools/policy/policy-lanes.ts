import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runOracle } from '../oracle/run-oracle';
import { ROOT } from '../test-support/paths';
import { runAbiDatabaseCheck } from './abi-db-check';
import { scanWorkspace } from './abi-source-scan';
import { runEventAbiCheck } from './event-abi-check';
import { redactedUrl } from './lane-database';

export type PolicyLane = 'abi' | 'event-abi' | 'correctness';
export const POLICY_LANES: PolicyLane[] = ['abi', 'event-abi', 'correctness'];

/** Each lane's evidence file, under .tmp/ of the workspace (the seed's names where it has them). */
export const POLICY_EVIDENCE: Record<PolicyLane, string> = {
  abi: 'hitl-abi-report.json',
  'event-abi': 'hitl-event-abi-report.json',
  correctness: 'hitl-c7-sql-evidence.json',
};

export interface PolicyLaneResult {
  lane: PolicyLane;
  ok: boolean;
  file: string;
  summary: string;
}

export interface PolicyLaneOptions {
  databaseUrl: string;
  /** Where the evidence goes (default: .tmp/ of the workspace). */
  outDir: string;
  /** The workspace whose sources the static ABI check reads. */
  root?: string;
}

function evidence(lane: PolicyLane, o: PolicyLaneOptions, body: { ok: boolean } & Record<string, unknown>): string {
  const file = join(o.outDir, POLICY_EVIDENCE[lane]);
  const { ok, ...rest } = body;
  const record = { lane, ok, checkedAt: new Date().toISOString(), database: redactedUrl(o.databaseUrl), ...rest };
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  return file;
}

const nonEmpty = (sets: Record<string, unknown[]>) =>
  Object.entries(sets)
    .filter(([, rows]) => rows.length > 0)
    .map(([name, rows]) => `${name} (${rows.length})`);

/** Runs one policy lane against a database and writes its evidence file. */
export async function runPolicyLane(lane: PolicyLane, o: PolicyLaneOptions): Promise<PolicyLaneResult> {
  if (lane === 'abi') {
    const source = scanWorkspace(o.root ?? ROOT);
    const database = await runAbiDatabaseCheck(o.databaseUrl);
    const ok = source.ok && database.ok;
    const file = evidence(lane, o, { ok, source, database });
    const why = [
      ...source.literals.map((l) => `${l.file}:${l.line} spells ${JSON.stringify(l.text)}`),
      ...nonEmpty(database.violations),
    ];
    const summary = ok
      ? `ABI ok: ${source.filesScanned} source files without key or topic literals; ${database.eventRows} events, all frozen keys`
      : `ABI violated: ${why.join('; ')}`;
    return { lane, ok, file, summary };
  }
  if (lane === 'event-abi') {
    const report = await runEventAbiCheck(o.databaseUrl);
    const file = evidence(lane, o, { ...report });
    const summary = report.ok
      ? `event values ok: ${JSON.stringify(report.checked)} valid against their schemas`
      : `${report.invalidCount} event values break their schema, e.g. ${report.invalid
          .slice(0, 3)
          .map((i) => `${i.key} #${i.id}: ${i.errors.join(', ')}`)
          .join('; ')}`;
    return { lane, ok: report.ok, file, summary };
  }
  const report = await runOracle(o.databaseUrl);
  const file = evidence(lane, o, { ...report });
  const summary = report.ok
    ? 'SQL oracle ok: every set empty'
    : `SQL oracle failed: ${nonEmpty(report.violations).join(', ')}`;
  return { lane, ok: report.ok, file, summary };
}
