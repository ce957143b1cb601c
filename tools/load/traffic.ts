import { PLAN_GATE_KEY } from '@gatehouse/contracts';
import type { LoadHttpClient } from './http-client';
import { runAtRate, runPool, sleep, type PacedRun } from './pool';
import type { FollowUp } from './reply-plan';
import type { Scenario } from './scenarios';

/** Partition keys the runs are spread over (the k6 scripts use the same eight tenants). */
export const TENANTS = 8;

const gatePath = (wid: string) => `/api/runs/${wid}/gates/${PLAN_GATE_KEY}`;
const replyPath = (wid: string) => `${gatePath(wid)}/reply`;

export const replyBody = (wid: string, rationale = 'load') => ({
  payload: { choice: 'yes', rationale },
  dedupeKey: `load-${wid}`,
});

/** POST /api/intents then POST /api/runs for each run; returns the workflow ids that started. */
export async function createRuns(
  http: LoadHttpClient,
  scenario: Scenario,
  concurrency = scenario.concurrency,
): Promise<string[]> {
  const wids: (string | undefined)[] = new Array(scenario.runs);
  const indexes = Array.from({ length: scenario.runs }, (_, i) => i);
  await runPool(indexes, concurrency, async (i) => {
    const intent = await http.post('intent', '/api/intents', { goal: 'load', inputs: { i }, constraints: {} });
    const intentId = intent.body?.intentId;
    const okIntent = http.judge(
      'intent',
      '/api/intents',
      intent,
      intent.status === 201 && typeof intentId === 'string' ? undefined : 'expected 201 {intentId}',
    );
    if (!okIntent) return;
    const run = await http.post('run', '/api/runs', {
      intentId,
      queueName: 'intentQ',
      queuePartitionKey: `tenant-${i % TENANTS}`,
      recipeName: 'agent-plan',
      workload: scenario.workload,
    });
    const ok = http.judge(
      'run',
      '/api/runs',
      run,
      run.status === 202 && run.body?.workflowID === intentId ? undefined : 'expected 202 {workflowID: intentId}',
    );
    if (ok) wids[i] = intentId;
  });
  return wids.filter((w): w is string => w !== undefined);
}

export interface GateWaitOptions {
  /** How long one run's gate may take to open before it counts as an error. */
  timeoutMs: number;
  firstDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Waits until each run's plan gate is PENDING with the long-poll-free GET and a bounded retry
 * (404 GATE_NOT_FOUND while the run is still compiling). Returns the runs whose gate opened; a gate
 * that never opened, or answered anything but 200 PENDING / 404, is an error.
 */
export async function awaitGates(
  http: LoadHttpClient,
  wids: readonly string[],
  concurrency: number,
  options: GateWaitOptions,
): Promise<string[]> {
  const ready: boolean[] = new Array(wids.length).fill(false);
  await runPool(wids, concurrency, async (wid, i) => {
    const until = Date.now() + options.timeoutMs;
    let delay = options.firstDelayMs ?? 100;
    for (;;) {
      const res = await http.get('gate', gatePath(wid));
      if (res.status === 200 && res.body?.state === 'PENDING') {
        ready[i] = true;
        return;
      }
      const notYet = res.status === 404 && res.body?.error === 'GATE_NOT_FOUND';
      if (!notYet) {
        http.judge('gate', gatePath(wid), res, 'expected 200 PENDING or 404 GATE_NOT_FOUND');
        return;
      }
      if (Date.now() + delay > until) {
        http.judge('gate', gatePath(wid), res, `gate not PENDING within ${options.timeoutMs} ms`);
        return;
      }
      await sleep(delay);
      delay = Math.min(options.maxDelayMs ?? 1000, Math.round(delay * 1.5));
    }
  });
  return wids.filter((_, i) => ready[i]);
}

export interface ReplyCounts {
  /** Replies answered 200 {state: RECEIVED, duplicate: false}. */
  accepted: number;
  /** Exact replays answered 200 {duplicate: true}. */
  duplicates: number;
  /** Drifts answered 409 DEDUPE_CONFLICT. */
  conflicts: number;
  /** Distinct dedupe keys sent: the ledger rows the run must leave. */
  distinctDedupeKeys: number;
}

/** Closed loop (`concurrency` workers) or open loop (`ratePerS` arrivals a second). */
export type Pacing = { concurrency: number } | { ratePerS: number };

/** Each gate's reply, then its follow-up (an exact replay or a drift) once the reply has answered. */
export async function sendReplies(
  http: LoadHttpClient,
  wids: readonly string[],
  plan: readonly FollowUp[],
  pacing: Pacing,
): Promise<{ counts: ReplyCounts; acceptedWids: string[]; paced?: PacedRun }> {
  const counts: ReplyCounts = { accepted: 0, duplicates: 0, conflicts: 0, distinctDedupeKeys: wids.length };
  const acceptedWids: string[] = [];
  const one = async (wid: string, i: number) => {
    const body = replyBody(wid);
    const res = await http.post('reply', replyPath(wid), body);
    const accepted =
      res.status === 200 && res.body?.ok === true && res.body?.state === 'RECEIVED' && res.body?.duplicate === false;
    if (
      !http.judge(
        'reply',
        replyPath(wid),
        res,
        accepted ? undefined : 'expected 200 {state: RECEIVED, duplicate: false}',
      )
    )
      return;
    counts.accepted++;
    acceptedWids.push(wid);
    if (plan[i] === 'duplicate') {
      const dup = await http.post('duplicate', replyPath(wid), body);
      const ok = dup.status === 200 && dup.body?.duplicate === true && dup.body?.state === 'RECEIVED';
      if (http.judge('duplicate', replyPath(wid), dup, ok ? undefined : 'expected 200 {duplicate: true}'))
        counts.duplicates++;
    } else if (plan[i] === 'drift') {
      const drift = await http.post('drift', replyPath(wid), replyBody(wid, 'drifted'));
      const ok = drift.status === 409 && drift.body?.error === 'DEDUPE_CONFLICT';
      if (http.judge('drift', replyPath(wid), drift, ok ? undefined : 'expected 409 DEDUPE_CONFLICT'))
        counts.conflicts++;
    }
  };
  if ('ratePerS' in pacing) {
    const paced = await runAtRate(wids, pacing.ratePerS, one);
    return { counts, acceptedWids, paced };
  }
  await runPool(wids, pacing.concurrency, one);
  return { counts, acceptedWids };
}
