// k6 run tools/k6/burst.js
// Phase 1 (setup): bring the runs to their gate. Phase 2: a burst of concurrent replies,
// a share of exact duplicates (200 duplicate:true) and of drifts (409 DEDUPE_CONFLICT).
import { SCENARIOS, startRun, waitForGate, reply } from './lib.js';
import exec from 'k6/execution';

const S = SCENARIOS.burst;

export const options = {
  setupTimeout: '15m',
  scenarios: {
    burst: { executor: 'shared-iterations', vus: S.concurrency, iterations: S.runs, maxDuration: '10m' },
  },
  thresholds: {
    'http_req_failed{name:reply}': ['rate==0'],
    'http_req_duration{name:reply}': ['p(99)<50'],
    checks: ['rate==1'],
  },
};

export function setup() {
  const wids = [];
  for (let i = 0; i < S.runs; i++) wids.push(startRun(S, `tenant-${i % 8}`));
  for (const wid of wids) waitForGate(wid);
  return { wids };
}

export default function (data) {
  reply(S, data.wids[exec.scenario.iterationInTest]);
}
