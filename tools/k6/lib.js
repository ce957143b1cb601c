// Shared helpers of the k6 lanes. The scenarios come from tools/load/scenarios.json, the same file
// the Node runner (tools/load) reads, so both drive the same traffic.
import http from 'k6/http';
import { check, sleep } from 'k6';

export const BASE = __ENV.BASE_URL || 'http://127.0.0.1:3001';
export const SCENARIOS = JSON.parse(open('../load/scenarios.json'));
const JSON_HEADERS = { headers: { 'content-type': 'application/json' } };

export function post(path, body, tags) {
  return http.post(`${BASE}${path}`, JSON.stringify(body), Object.assign({ tags }, JSON_HEADERS));
}

/** Creates an intent and its run; returns the workflow id. */
export function startRun(scenario, partition) {
  const intent = post('/api/intents', { goal: 'k6 load', inputs: { vu: __VU }, constraints: {} }, { name: 'intent' });
  check(intent, { 'intent 201': (r) => r.status === 201 });
  const wid = intent.json('intentId');
  const run = post('/api/runs', {
    intentId: wid,
    queueName: 'intentQ',
    queuePartitionKey: partition,
    recipeName: 'agent-plan',
    workload: scenario.workload,
  }, { name: 'run' });
  check(run, { 'run 202': (r) => r.status === 202 });
  return wid;
}

/** Waits (server-side long-poll, bounded) until the run's plan gate exists and is pending. */
export function waitForGate(wid) {
  for (let i = 0; i < 100; i++) {
    const res = http.get(`${BASE}/api/runs/${wid}/gates/approve-plan`, { tags: { name: 'gate' } });
    if (res.status === 200 && res.json('state') === 'PENDING') return true;
    sleep(0.1);
  }
  return false;
}

/** Sends the reply and, by the scenario's shares, an exact duplicate or a drift. */
export function reply(scenario, wid) {
  const body = { payload: { choice: 'yes', rationale: 'k6' }, dedupeKey: `k6-${wid}` };
  const res = post(`/api/runs/${wid}/gates/approve-plan/reply`, body, { name: 'reply' });
  check(res, { 'reply 200': (r) => r.status === 200 });
  const dice = Math.random();
  if (dice < scenario.duplicateShare) {
    const dup = post(`/api/runs/${wid}/gates/approve-plan/reply`, body, { name: 'duplicate' });
    check(dup, { 'duplicate 200': (r) => r.status === 200 && r.json('duplicate') === true });
  } else if (dice < scenario.duplicateShare + scenario.driftShare) {
    body.payload.rationale = 'drifted';
    const drift = post(`/api/runs/${wid}/gates/approve-plan/reply`, body, { name: 'drift' });
    check(drift, { 'drift 409': (r) => r.status === 409 && r.json('error') === 'DEDUPE_CONFLICT' });
  }
}
