// k6 run tools/k6/load-1k.js  (BASE_URL=http://host:3001)
// Phase 1 (setup): 1,000 runs brought to a pending plan gate. Phase 2: every gate answered once.
// The same traffic as `node dist/tools/load/runner.js --scenario load-1k`.
import exec from 'k6/execution';
import { SCENARIOS, setupRuns, reply } from './lib.js';

const S = SCENARIOS['load-1k'];
// -e REPLY_RATE=R: open loop, R replies a second whatever their latency (the runner's --rate R);
// otherwise S.concurrency closed-loop VUs.
const RATE = Number(__ENV.REPLY_RATE || 0);

export const options = {
  setupTimeout: '20m',
  batchPerHost: S.concurrency,
  scenarios: {
    load: RATE
      ? {
          executor: 'constant-arrival-rate',
          rate: RATE,
          timeUnit: '1s',
          duration: `${Math.ceil(S.runs / RATE)}s`,
          preAllocatedVUs: Math.min(S.runs, Math.max(S.concurrency, RATE)),
          maxVUs: S.runs,
        }
      : { executor: 'shared-iterations', vus: S.concurrency, iterations: S.runs, maxDuration: '20m' },
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
