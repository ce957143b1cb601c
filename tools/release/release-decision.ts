import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { evidenceDir } from '../lanes/evidence-dir';
import { ROOT } from '../test-support/paths';
import { LANE_COMMANDS, SIGNOFF_LANES, type SignoffLane } from './lanes';
import { RELEASE_EVIDENCE, rollbackTriggers } from './release-rules';
import { runCommand } from './run-command';

export const RELEASE_RULE =
  'GO only when quick, check and full each passed on their single run (no retries) and no rollback trigger fired ' +
  '(a duplicate in steps, artifacts, interactions or decision keys; a 5xx or Postgres 53300 under bounded load); else NO_GO';

export interface ReleaseOptions {
  /** The command of each lane (default: its npm script); tests inject their own. */
  commands: Record<SignoffLane, string>;
  cwd: string;
  /** Where the lanes write their evidence; given to them as GATEHOUSE_EVIDENCE_DIR. */
  evidenceDir: string;
  /** The decision file (default: release-decision.json at the workspace root). */
  outFile: string;
  env?: NodeJS.ProcessEnv;
  /** Where the lanes' output goes as it comes (default: stdout). */
  out?: Writable;
}

export interface CheckResult {
  name: SignoffLane;
  command: string;
  result: 'PASS' | 'FAIL' | 'NOT_RUN';
  exitCode: number | null;
  durationS: number | null;
}

export interface EvidenceStatus {
  file: string;
  /** Written by this release's lanes (the files of an earlier run are removed first). */
  present: boolean;
  /** The file's own verdict, for the JSON evidence. */
  ok?: boolean;
}

export interface ReleaseDecision {
  decision: 'GO' | 'NO_GO';
  date: string;
  startedAt: string;
  decidedAt: string;
  commit: string | null;
  uncommittedChanges: boolean | null;
  rule: string;
  checks: CheckResult[];
  evidence: Record<string, EvidenceStatus>;
  triggers: string[];
  reasons: string[];
}

function git(cwd: string, args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** Evidence left by an earlier run proves nothing about this one: it goes before the lanes run. */
function clearEvidence(dir: string): void {
  for (const name of Object.values(RELEASE_EVIDENCE)) rmSync(join(dir, name), { force: true });
}

/** Reads each evidence file: whether the lanes wrote it, and its JSON. */
function readEvidence(dir: string) {
  const status: Record<string, EvidenceStatus> = {};
  const json: Record<string, Record<string, any> | undefined> = {};
  for (const [role, name] of Object.entries(RELEASE_EVIDENCE)) {
    const file = join(dir, name);
    status[role] = { file, present: existsSync(file) };
    if (status[role].present && name.endsWith('.json')) {
      try {
        json[role] = JSON.parse(readFileSync(file, 'utf8'));
        status[role].ok = json[role]?.ok === true;
      } catch {
        status[role].ok = false;
      }
    }
  }
  return { status, json };
}

/**
 * `npm run release:decision`: quick, check and full once each, in that order (a failed lane ends the
 * sequence, as `quick && check && full` does), then the evidence and the rollback triggers, then
 * `release-decision.json`. Never retries anything.
 */
export async function runRelease(o: ReleaseOptions): Promise<ReleaseDecision> {
  const started = Date.now();
  const out = o.out ?? process.stdout;
  const env = { ...(o.env ?? process.env), GATEHOUSE_EVIDENCE_DIR: o.evidenceDir };
  clearEvidence(o.evidenceDir);
  const checks: CheckResult[] = [];
  let failed = false;
  for (const name of SIGNOFF_LANES) {
    const command = o.commands[name];
    if (failed) {
      checks.push({ name, command, result: 'NOT_RUN', exitCode: null, durationS: null });
      continue;
    }
    out.write(`== release: ${name}: ${command}\n`);
    const r = await runCommand(command, [out], { cwd: o.cwd, env });
    checks.push({
      name,
      command,
      result: r.exitCode === 0 ? 'PASS' : 'FAIL',
      exitCode: r.exitCode,
      durationS: r.durationS,
    });
    failed = r.exitCode !== 0;
  }
  const { status, json } = readEvidence(o.evidenceDir);
  const triggers = rollbackTriggers(json);
  const reasons = [
    ...checks.filter((c) => c.result === 'FAIL').map((c) => `${c.name} failed (exit ${c.exitCode})`),
    ...checks.filter((c) => c.result === 'NOT_RUN').map((c) => `${c.name} not run: an earlier lane failed`),
    ...Object.entries(status)
      .filter(([, s]) => !s.present)
      .map(([role, s]) => `evidence ${role} is missing (not written by this release): ${s.file}`),
    ...Object.entries(status)
      .filter(([, s]) => s.ok === false)
      .map(([role, s]) => `evidence ${role} records a failure: ${s.file}`),
    ...triggers.map((t) => `rollback trigger: ${t}`),
  ];
  const decidedAt = new Date();
  const porcelain = git(o.cwd, ['status', '--porcelain']);
  return {
    decision: reasons.length === 0 ? 'GO' : 'NO_GO',
    date: decidedAt.toISOString().slice(0, 10),
    startedAt: new Date(started).toISOString(),
    decidedAt: decidedAt.toISOString(),
    commit: git(o.cwd, ['rev-parse', 'HEAD']),
    // Uncommitted changes were part of what the lanes checked, and are not in `commit`.
    uncommittedChanges: porcelain === null ? null : porcelain.length > 0,
    rule: RELEASE_RULE,
    checks,
    evidence: status,
    triggers,
    reasons,
  };
}

/** Runs the release and writes its decision file; the exit code is 0 for GO, 1 for NO_GO. */
export async function releaseDecision(o: ReleaseOptions): Promise<{ exitCode: number; decision: ReleaseDecision }> {
  const decision = await runRelease(o);
  writeFileSync(o.outFile, `${JSON.stringify(decision, null, 2)}\n`);
  const out = o.out ?? process.stdout;
  out.write(`== release decision: ${decision.decision} (${o.outFile})\n`);
  for (const r of decision.reasons) out.write(`  - ${r}\n`);
  return { exitCode: decision.decision === 'GO' ? 0 : 1, decision };
}

if (require.main === module) {
  releaseDecision({
    commands: LANE_COMMANDS,
    cwd: ROOT,
    evidenceDir: evidenceDir(),
    outFile: join(ROOT, 'release-decision.json'),
  }).then(
    (r) => process.exit(r.exitCode),
    (err) => {
      process.stderr.write(`release decision crashed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(2);
    },
  );
}
