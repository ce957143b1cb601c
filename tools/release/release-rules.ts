import { eventKeyKind } from '@gatehouse/contracts';
import { POLICY_EVIDENCE } from '../policy/policy-lanes';
import { laneLogName, SIGNOFF_LANES } from './lanes';

/** The evidence files a release reads (the seed's section 9), by role. */
export const RELEASE_EVIDENCE = {
  load1k: 'hitl-load-1k-report.json',
  burst: 'hitl-burst-reply-report.json',
  sql: POLICY_EVIDENCE.correctness,
  ...Object.fromEntries(SIGNOFF_LANES.map((l) => [`log:${l}`, laneLogName(l)])),
} as Record<string, string>;

type Json = Record<string, any>;

/** The seed's rollback triggers over one load lane's evidence (`rollback` of load-evidence.ts). */
export function loadTriggers(name: string, e: Json): string[] {
  const t: string[] = [];
  const r = e.rollback;
  if (!r) return [`${name}: no rollback section in the evidence`];
  for (const [what, n] of Object.entries(r.duplicates ?? {})) {
    if (Number(n) > 0) t.push(`${name}: ${n} duplicate ${what}`);
  }
  if (Number(r.fiveXx) > 0) t.push(`${name}: ${r.fiveXx} answers with status 5xx under bounded load`);
  if (Number(r.pg53300) > 0) t.push(`${name}: Postgres refused ${r.pg53300} connections (53300) under bounded load`);
  if (r.pg53300 === null) t.push(`${name}: 53300 not measured (no service logs): a release needs a spawned stack`);
  return t;
}

/** The burst's own duplicate checks: decision keys and interaction rows against the distinct dedupe keys. */
export function burstTriggers(e: Json): string[] {
  const b = e.burst;
  if (!b) return ['burst: no burst section in the evidence'];
  const t: string[] = [];
  if (Number(b.decisions?.duplicateDecisionKeys) > 0)
    t.push(`burst: ${b.decisions.duplicateDecisionKeys} duplicate decision keys`);
  if (b.interactions?.totalRows !== b.interactions?.expectedDistinct) {
    t.push(
      `burst: ${b.interactions?.totalRows} interaction rows for ${b.interactions?.expectedDistinct} distinct dedupe keys`,
    );
  }
  if (Number(b.final?.errors) > 0) t.push(`burst: ${b.final.errors} unexpected answers`);
  return t;
}

/** Duplicates in the SQL oracle's evidence (steps, artifacts, interactions, decision keys). */
export function sqlTriggers(e: Json): string[] {
  const v = e.violations ?? {};
  const t: string[] = [];
  const count = (name: string) => (Array.isArray(v[name]) ? v[name].length : 0);
  if (count('duplicateRunSteps')) t.push(`sql: ${count('duplicateRunSteps')} duplicate run_steps`);
  if (count('duplicateArtifacts')) t.push(`sql: ${count('duplicateArtifacts')} duplicate artifacts`);
  if (count('duplicateInteractions')) t.push(`sql: ${count('duplicateInteractions')} duplicate human_interactions`);
  const decisions = (v.repeatedPromptOrDecisionEvents ?? []).filter(
    (r: Json) => eventKeyKind(String(r.key)) === 'decision',
  ).length;
  if (decisions) t.push(`sql: ${decisions} duplicate decision keys`);
  return t;
}

/** Rollback triggers over every evidence file that was read (files absent are reasons of their own). */
export function rollbackTriggers(evidence: Record<string, Json | undefined>): string[] {
  return [
    ...(evidence.load1k ? loadTriggers('load-1k', evidence.load1k) : []),
    ...(evidence.burst ? [...loadTriggers('burst', evidence.burst), ...burstTriggers(evidence.burst)] : []),
    ...(evidence.sql ? sqlTriggers(evidence.sql) : []),
  ];
}
