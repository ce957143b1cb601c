// Shared helpers of the k6 lanes. The scenarios come from tools/load/scenarios.json, the same file
// the Node runner (tools/load/runner.ts) reads, and the traffic is the runner's: create the runs,
// wait (long-poll-free GET, bounded retry) until each plan gate is PENDING, then reply to each gate
// once, plus an exact replay (200 duplicate:true) or a drift (409 DEDUPE_CONFLICT) for the same
// seeded share of gates (planFollowUps is tools/load/reply-plan.ts, line for line).
import http from 'k6/http';
import { check, sleep } from 'k6';

export const BASE = __ENV.BASE_URL || 'http://127.0.0.1:3001';
export const SCENARIOS = JSON.parse(open('../load/scenarios.json'));
const JSON_HEADERS = { 'content-type': 'application/json' };
const TENANTS = 8;

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Exactly round(n·share) replays and drifts, spread by a seeded shuffle (same as the Node runner). */
export function planFollowUps(n, duplicateShare, driftShare, seed = 42) {
  const dups = Math.round(n * duplicateShare);
  const drifts = Math.min(n - dups, Math.round(n * driftShare));
  const plan = [];
  for (let i = 0; i < dups; i++) plan.push('duplicate');
  for (let i = 0; i < drifts; i++) plan.push('drift');
  for (let i = dups + drifts; i < n; i++) plan.push('none');
  const rnd = mulberry32(seed);
  for (let i = plan.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    const t = plan[i];
    plan[i] = plan[j];
    plan[j] = t;
  }
  return plan;
}

export function post(path, body, tags) {
  return http.post(`${BASE}${path}`, JSON.stringify(body), { headers: JSON_HEADERS, tags });
}

const intentReq = (i) => ['POST', `${BASE}/api/intents`, JSON.stringify({ goal: 'load', inputs: { i }, constraints: {} }), { headers: JSON_HEADERS, tags: { name: 'intent' } }];
const runReq = (scenario, intentId, i) => [
  'POST',
  `${BASE}/api/runs`,
  JSON.stringify({
    intentId,
    queueName: 'intentQ',
    queuePartitionKey: `tenant-${i % TENANTS}`,
    recipeName: 'agent-plan',
    workload: scenario.workload,
  }),
  { headers: JSON_HEADERS, tags: { name: 'run' } },
];
const gateReq = (wid) => ['GET', `${BASE}/api/runs/${wid}/gates/approve-plan`, null, { tags: { name: 'gate' } }];

/** Creates an intent and its run; returns the workflow id (used by the per-iteration soak lane). */
export function startRun(scenario, i) {
  const intent = http.request(...intentReq(i));
  check(intent, { 'intent 201': (r) => r.status === 201 });
  const wid = intent.json('intentId');
  const run = http.request(...runReq(scenario, wid, i));
  check(run, { 'run 202': (r) => r.status === 202 && r.json('workflowID') === wid });
  return wid;
}

/** Waits, with the long-poll-free GET and a bounded retry, until the run's plan gate is PENDING. */
export function waitForGate(wid) {
  let delay = 0.1;
  for (let waited = 0; waited < 120; waited += delay, delay = Math.min(1, delay * 1.5)) {
    const res = http.request(...gateReq(wid));
    if (res.status === 200 && res.json('state') === 'PENDING') return true;
    if (!check(res, { 'gate 200 or 404 GATE_NOT_FOUND': (r) => r.status === 200 || (r.status === 404 && r.json('error') === 'GATE_NOT_FOUND') })) return false;
    sleep(delay);
  }
  return false;
}

/**
 * setup() of the phased lanes: creates the scenario's runs `concurrency` at a time (http.batch),
 * then waits until every plan gate is PENDING; returns the ready workflow ids and the follow-up plan.
 */
export function setupRuns(scenario) {
  const wids = [];
  for (let start = 0; start < scenario.runs; start += scenario.concurrency) {
    const idx = [];
    for (let i = start; i < Math.min(scenario.runs, start + scenario.concurrency); i++) idx.push(i);
    const intents = http.batch(idx.map((i) => intentReq(i)));
    const ok = idx.filter((_, k) => check(intents[k], { 'intent 201': (r) => r.status === 201 }));
    const runs = http.batch(ok.map((i) => runReq(scenario, intents[idx.indexOf(i)].json('intentId'), i)));
    runs.forEach((r) => {
      if (check(r, { 'run 202': (x) => x.status === 202 })) wids.push(r.json('workflowID'));
    });
  }
  let pending = wids.slice();
  const ready = new Set();
  let delay = 0.1;
  for (let waited = 0; pending.length > 0 && waited < 120; waited += delay, delay = Math.min(1, delay * 1.5)) {
    for (let start = 0; start < pending.length; start += scenario.concurrency) {
      const chunk = pending.slice(start, start + scenario.concurrency);
      http.batch(chunk.map(gateReq)).forEach((r, k) => {
        if (r.status === 200 && r.json('state') === 'PENDING') ready.add(chunk[k]);
        else check(r, { 'gate 200 or 404 GATE_NOT_FOUND': (x) => x.status === 200 || (x.status === 404 && x.json('error') === 'GATE_NOT_FOUND') });
      });
    }
    pending = pending.filter((w) => !ready.has(w));
    if (pending.length > 0) sleep(delay);
  }
  check(pending, { 'every plan gate PENDING': (p) => p.length === 0 });
  const readyWids = wids.filter((w) => ready.has(w));
  return { wids: readyWids, plan: planFollowUps(readyWids.length, scenario.duplicateShare, scenario.driftShare) };
}

/** The gate's reply, then its follow-up once the reply has answered. */
export function reply(wid, followUp) {
  const path = `/api/runs/${wid}/gates/approve-plan/reply`;
  const body = { payload: { choice: 'yes', rationale: 'load' }, dedupeKey: `load-${wid}` };
  const res = post(path, body, { name: 'reply' });
  const accepted = check(res, { 'reply 200 accepted': (r) => r.status === 200 && r.json('duplicate') === false && r.json('state') === 'RECEIVED' });
  if (!accepted) return;
  if (followUp === 'duplicate') {
    const dup = post(path, body, { name: 'duplicate' });
    check(dup, { 'duplicate 200': (r) => r.status === 200 && r.json('duplicate') === true });
  } else if (followUp === 'drift') {
    const drift = post(path, { payload: { choice: 'yes', rationale: 'drifted' }, dedupeKey: body.dedupeKey }, { name: 'drift' });
    check(drift, { 'drift 409': (r) => r.status === 409 && r.json('error') === 'DEDUPE_CONFLICT' });
  }
}

/** A follow-up drawn per iteration, for the time-based soak lane (no fixed count to plan over). */
export function randomFollowUp(scenario) {
  const dice = Math.random();
  if (dice < scenario.duplicateShare) return 'duplicate';
  if (dice < scenario.duplicateShare + scenario.driftShare) return 'drift';
  return 'none';
}
