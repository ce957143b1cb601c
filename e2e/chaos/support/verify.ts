import { isDeepStrictEqual } from 'node:util';
import { payloadHash } from '@gatehouse/contracts';
import { runOracle, type OracleReport } from '../../../tools/oracle/run-oracle';
import type { ConsumerState } from '../../../tools/test-support/jetstream-state';
import type { Stack } from '../../../tools/test-support/stack';
import type { StatusTally } from './chaos-client';
import { sleep } from './prng';
import type { SqlWatcher } from './sql-watcher';
import type { RunRecord } from './workload';

export interface Verdict {
  /** Every broken expectation, as a sentence naming the run and the rows. Empty is a pass. */
  problems: string[];
  /** Known-bug findings reported instead of failing (see VerifyOptions.tolerateLateDisarm). */
  knownBugs: string[];
  oracle: OracleReport;
  figures: Record<string, unknown>;
  deadLetters: unknown[];
  consumers: ConsumerState[];
}

export interface VerifyOptions {
  /** How long the runs may take to finish after the last fault. */
  settleMs?: number;
  /** Dead letters the scenario expects (by default none). */
  allowDeadLetters?: boolean;
  /** Also require every consumer to have nothing pending or unacknowledged (default true). */
  checkConsumers?: boolean;
  /**
   * Accept a timer FIRED for a gate a human answered before its deadline, when the disarm message
   * reached the escalation service only after the deadline (it was down). The timer did fire in its
   * own view; what must still hold, and is always checked, is that no escalation started.
   */
  tolerateLateDisarm?: boolean;
}

const PLAN_GATE = 'approve-plan';
const STEPS = ['CompileST', 'ApplyPatchST', 'DecideST', 'ExecuteST'];

async function eventuallyValue<T>(
  probe: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs: number,
): Promise<{ value: T; ok: boolean }> {
  const until = Date.now() + timeoutMs;
  let value = await probe().catch(() => undefined as T);
  while (!ok(value) && Date.now() < until) {
    await sleep(250);
    value = await probe().catch(() => value);
  }
  return { value, ok: ok(value) };
}

/**
 * Everything DESIGN sections 3, 6 and 7 promise after faults, checked in SQL and on the server:
 * each run at the status its human (or timer) decided, each accepted reply in the ledger exactly
 * once with its payload, no duplicate prompt, decision, step or artifact, the oracle clean,
 * outboxes drained, consumers with nothing pending, no dead letter, no 5xx but 503.
 */
export async function verifyOutcome(
  stack: Stack,
  watcher: SqlWatcher,
  runs: RunRecord[],
  tally: StatusTally,
  options: VerifyOptions = {},
): Promise<Verdict> {
  const problems: string[] = [];
  const wids = runs.map((r) => r.wid);
  const waitStarted = Date.now();
  await watcher.waitTerminal(wids, options.settleMs ?? 90_000).catch((err) => problems.push(String(err.message)));
  const terminalAfterMs = Date.now() - waitStarted;
  const db = stack.db;

  const rows = await db.query<{ id: string; status: string; error: { code?: string } | null }>(
    `SELECT id::text AS id, status, error FROM runs.runs WHERE id = ANY($1::uuid[])`,
    [wids],
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  for (const r of runs) {
    const row = byId.get(r.wid);
    const want =
      r.plan.decision === 'approve'
        ? ['SUCCESS', null]
        : r.plan.decision === 'reject'
          ? ['ERROR', 'REJECTED']
          : ['ERROR', 'GATE_TIMED_OUT'];
    if (!row) problems.push(`${r.wid}: run row missing`);
    else if (row.status !== want[0] || (row.error?.code ?? null) !== want[1]) {
      problems.push(
        `${r.wid} (${r.plan.decision} via ${r.plan.surface}): status ${row.status} error ${JSON.stringify(row.error)}, expected ${want[0]} ${want[1] ?? ''}`,
      );
    }
  }

  // The ledger: exactly the accepted reply, once, with the payload the client sent.
  const ledger = await db.query<{
    wid: string;
    topic: string;
    dedupe_key: string;
    payload: unknown;
    payload_hash: string;
    origin: string;
  }>(
    `SELECT workflow_id::text AS wid, topic, dedupe_key, payload, payload_hash, origin FROM gates.human_interactions
     WHERE workflow_id = ANY($1::uuid[]) AND gate_key = $2`,
    [wids, PLAN_GATE],
  );
  const ledgerByRun = new Map<string, typeof ledger>();
  for (const l of ledger) ledgerByRun.set(l.wid, [...(ledgerByRun.get(l.wid) ?? []), l]);
  for (const r of runs) {
    const entries = ledgerByRun.get(r.wid) ?? [];
    if (!r.reply) {
      if (entries.length) problems.push(`${r.wid}: ${entries.length} ledger rows for a run nobody answered`);
      continue;
    }
    const mine = entries.filter((e) => e.dedupe_key === r.reply!.dedupeKey);
    if (mine.length !== 1)
      problems.push(
        `${r.wid}: reply ${r.reply.dedupeKey} is in the ledger ${mine.length} times (expected exactly once)`,
      );
    if (entries.length !== 1)
      problems.push(
        `${r.wid}: ${entries.length} ledger rows (keys ${entries.map((e) => e.dedupe_key).join(',')}), expected 1`,
      );
    const e = mine[0];
    if (e) {
      if (!isDeepStrictEqual(e.payload, r.reply.payload))
        problems.push(
          `${r.wid}: ledger payload ${JSON.stringify(e.payload)} != sent ${JSON.stringify(r.reply.payload)}`,
        );
      if (e.payload_hash !== payloadHash(r.reply.payload))
        problems.push(`${r.wid}: payload_hash ${e.payload_hash} is not the hash of the sent payload`);
      if (e.topic !== `human:${PLAN_GATE}`) problems.push(`${r.wid}: topic ${e.topic}`);
      if (e.origin !== r.reply.origin) problems.push(`${r.wid}: origin ${e.origin}, expected ${r.reply.origin}`);
    }
    if (r.plan.surface !== 'jetstream' && r.okAnswers.length === 0) problems.push(`${r.wid}: no 200 for its reply`);
  }

  // Prompts and decisions: exactly one each per answered or timed-out plan gate.
  const events = await db.query<{ wid: string; key: string; n: number }>(
    `SELECT workflow_id::text AS wid, key, count(*)::int AS n FROM gates.workflow_events
     WHERE workflow_id = ANY($1::uuid[]) AND key IN ('ui:approve-plan', 'decision:approve-plan', 'ui:approve-plan:result')
     GROUP BY 1, 2`,
    [wids],
  );
  const eventCount = (wid: string, key: string) => events.find((e) => e.wid === wid && e.key === key)?.n ?? 0;
  for (const r of runs) {
    if (eventCount(r.wid, 'ui:approve-plan') !== 1)
      problems.push(`${r.wid}: ${eventCount(r.wid, 'ui:approve-plan')} prompts`);
    if (eventCount(r.wid, 'decision:approve-plan') !== 1)
      problems.push(`${r.wid}: ${eventCount(r.wid, 'decision:approve-plan')} decisions`);
    const results = eventCount(r.wid, 'ui:approve-plan:result');
    if (results !== (r.reply ? 1 : 0)) problems.push(`${r.wid}: ${results} ui:approve-plan:result events`);
  }

  // Steps and artifacts, stricter than the oracle: one row per step and per child task whatever the attempt.
  const steps = await db.query<{ wid: string; step_id: string; status: string; n: number }>(
    `SELECT run_id::text AS wid, step_id, status, count(*)::int AS n FROM runs.run_steps
     WHERE run_id = ANY($1::uuid[]) GROUP BY 1, 2, 3`,
    [wids],
  );
  const artifacts = await db.query<{ wid: string; n: number; distinct_idx: number; max_idx: number }>(
    `SELECT run_id::text AS wid, count(*)::int AS n, count(DISTINCT idx)::int AS distinct_idx, max(idx)::int AS max_idx
     FROM runs.artifacts WHERE run_id = ANY($1::uuid[]) GROUP BY 1`,
    [wids],
  );
  for (const r of runs) {
    const mine = steps.filter((s) => s.wid === r.wid);
    const dup = mine.filter((s) => s.n > 1);
    if (dup.length) problems.push(`${r.wid}: repeated step rows ${JSON.stringify(dup)}`);
    const failed = mine.filter((s) => s.status !== 'SUCCEEDED');
    if (failed.length) problems.push(`${r.wid}: steps not SUCCEEDED ${JSON.stringify(failed)}`);
    const a = artifacts.find((x) => x.wid === r.wid);
    if (r.plan.decision === 'approve') {
      const ids = mine.map((s) => s.step_id).sort();
      if (ids.join() !== [...STEPS].sort().join()) problems.push(`${r.wid}: steps ${ids.join()}`);
      if (!a || a.n !== r.plan.steps || a.distinct_idx !== r.plan.steps || a.max_idx !== r.plan.steps - 1) {
        problems.push(`${r.wid}: artifacts ${JSON.stringify(a)} for ${r.plan.steps} child tasks`);
      }
    } else {
      if (a) problems.push(`${r.wid}: ${a.n} artifacts on a run that was not approved`);
      if (mine.some((s) => s.step_id === 'ExecuteST'))
        problems.push(`${r.wid}: ExecuteST ran on a run that was not approved`);
    }
  }

  // Timers: one escalation per timed-out gate, none for answered ones.
  const escalations = await db.query<{ wid: string; n: number }>(
    `SELECT workflow_id::text AS wid, count(*)::int AS n FROM escalation.escalations WHERE workflow_id = ANY($1::uuid[]) GROUP BY 1`,
    [wids],
  );
  const knownBugs: string[] = [];
  const answeredInTime = new Set(
    (
      await db.query<{ wid: string }>(
        `SELECT workflow_id::text AS wid FROM gates.gates WHERE workflow_id = ANY($1::uuid[]) AND state = 'RECEIVED' AND closed_at < deadline_at`,
        [wids],
      )
    ).map((g) => g.wid),
  );
  const lateDisarm = (r: RunRecord) =>
    !!options.tolerateLateDisarm && r.plan.decision !== 'timeout' && answeredInTime.has(r.wid);
  for (const r of runs) {
    const n = escalations.find((e) => e.wid === r.wid)?.n ?? 0;
    if (n !== (r.plan.decision === 'timeout' ? 1 : 0)) {
      problems.push(`${r.wid} (${r.plan.decision}): ${n} escalations`);
    }
  }

  // Outboxes drain and consumers settle once the traffic stops.
  const outbox = await eventuallyValue(
    () =>
      db.query<{ schema: string; n: number }>(
        `SELECT 'runs' AS schema, count(*)::int AS n FROM runs.outbox WHERE published_at IS NULL
       UNION ALL SELECT 'gates', count(*)::int FROM gates.outbox WHERE published_at IS NULL
       UNION ALL SELECT 'escalation', count(*)::int FROM escalation.outbox WHERE published_at IS NULL`,
      ),
    (v) => !!v && v.every((x) => x.n === 0),
    30_000,
  );
  if (!outbox.ok) problems.push(`outbox rows never published: ${JSON.stringify(outbox.value)}`);

  // Every fair-queue item was released and settled: nothing waits, no window slot is held.
  const work = await eventuallyValue(
    () =>
      db.query<{ queue: string; n: number }>(`SELECT queue, count(*)::int AS n FROM runs.work_queue GROUP BY queue`),
    (v) => !!v && v.length === 0,
    30_000,
  );
  if (!work.ok) problems.push(`fair-queue work never settled: ${JSON.stringify(work.value)}`);

  let consumers: ConsumerState[] = [];
  if (options.checkConsumers !== false) {
    const settled = await eventuallyValue(
      () => stack.consumerStates(),
      (v) => !!v && v.every((c) => c.numPending === 0 && c.numAckPending === 0),
      30_000,
    );
    consumers = settled.value ?? [];
    if (!settled.ok)
      problems.push(
        `consumers not settled: ${JSON.stringify(consumers.filter((c) => c.numPending || c.numAckPending))}`,
      );
  }

  // Every plan gate armed exactly one timer, which a reply disarmed or the deadline fired
  // (read after the consumers settled: the escalation service learns of decisions by message).
  const timers = await db.query<{ wid: string; status: string }>(
    `SELECT workflow_id::text AS wid, status FROM escalation.timers WHERE workflow_id = ANY($1::uuid[]) AND gate_key = $2`,
    [wids, PLAN_GATE],
  );
  const escalationStates = await db.query<{ wid: string; status: string }>(
    `SELECT workflow_id::text AS wid, status FROM escalation.escalations WHERE workflow_id = ANY($1::uuid[])`,
    [wids],
  );
  for (const r of runs) {
    const t = timers.filter((x) => x.wid === r.wid);
    const want = r.plan.decision === 'timeout' ? 'FIRED' : 'DISARMED';
    if (t.length !== 1 || t[0].status !== want) {
      const found = `${r.wid} (${r.plan.decision}): timers ${JSON.stringify(t)}, expected one ${want}`;
      if (!(lateDisarm(r) && t.length === 1 && t[0].status === 'FIRED')) problems.push(found);
    }
    const failed = escalationStates.filter((e) => e.wid === r.wid && e.status === 'FAILED');
    if (failed.length) problems.push(`${r.wid}: escalation FAILED`);
  }

  const oracle = await runOracle(db.url);
  for (const [check, found] of Object.entries(oracle.violations)) {
    if (found.length) problems.push(`oracle ${check}: ${JSON.stringify(found).slice(0, 800)}`);
  }
  const deadLetters = oracle.facts.deadLetters ?? [];
  if (deadLetters.length && !options.allowDeadLetters)
    problems.push(`unexpected dead letters: ${JSON.stringify(deadLetters).slice(0, 1500)}`);

  if (tally.serverErrors.length) problems.push(`5xx other than 503: ${tally.serverErrors.slice(0, 10).join(' | ')}`);
  if (tally.without503RetryAfter.length)
    problems.push(`503 without Retry-After: ${tally.without503RetryAfter.slice(0, 10).join(' | ')}`);

  const statuses: Record<string, number> = {};
  for (const r of rows) {
    const key = r.error?.code ? `${r.status}/${r.error.code}` : r.status;
    statuses[key] = (statuses[key] ?? 0) + 1;
  }
  return {
    problems,
    knownBugs,
    oracle,
    deadLetters,
    consumers,
    figures: {
      runs: runs.length,
      runStatuses: statuses,
      terminalAfterMs,
      ledgerRows: ledger.length,
      repliesExpectedInLedger: runs.filter((r) => r.reply).length,
      okAnswers: runs.reduce((n, r) => n + r.okAnswers.length, 0),
      okAnswersAfterRetry: runs.reduce((n, r) => n + r.okAnswers.filter((a) => a.attempts > 1).length, 0),
      artifacts: artifacts.reduce((n, a) => n + a.n, 0),
      httpStatuses: tally.counts,
      answersByGateway: tally.byGateway,
      deadLetters: deadLetters.length,
      problems: problems.length,
      knownBugFindings: knownBugs.length,
    },
  };
}
