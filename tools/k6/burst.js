// k6 run tools/k6/burst.js  (BASE_URL=http://host:3001)
// Phase 1 (setup): bring the runs to their gate. Phase 2: a burst of concurrent replies,
// with exact replays (200 duplicate:true) and drifts (409 DEDUPE_CONFLICT) for the scenario's shares.
// The same traffic as `node dist/tools/load/runner.js --scenario burst`.
import exec from 'k6/execution';
import { SCENARIOS, setupRuns, reply } from './lib.js';

const S = SCENARIOS.burst;

export const options = {
  setupTimeout: '15m',
  batchPerHost: S.concurrency,
  scenarios: {
    burst: { executor: 'shared-iterations', vus: S.concurrency, iterations: S.runs, maxDuration: '10m' },
  },
  thresholds: {
    'http_req_failed{name:reply}': ['rate==0'],
    // A target for a production-sized deployment; on the 2-core development box it fails (docs/performance.md).
    'http_req_duration{name:reply}': ['p(99)<50'],
    checks: ['rate==1'],
  },
};

export function setup() {
  return setupRuns(S);
}

export default function (data) {
  const i = exec.scenario.iterationInTest;
  if (i < data.wids.length) reply(data.wids[i], data.plan[i]);
}
