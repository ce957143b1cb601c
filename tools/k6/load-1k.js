// k6 run tools/k6/load-1k.js  (BASE_URL=http://host:3001)
// 1,000 runs brought to a pending gate, then answered once each.
import { SCENARIOS, startRun, waitForGate, reply } from './lib.js';

const S = SCENARIOS['load-1k'];

export const options = {
  scenarios: {
    load: { executor: 'shared-iterations', vus: S.concurrency, iterations: S.runs, maxDuration: '20m' },
  },
  thresholds: {
    'http_req_failed{name:reply}': ['rate==0'],
    'http_req_duration{name:reply}': ['p(99)<50'],
    checks: ['rate==1'],
  },
};

export default function () {
  const wid = startRun(S, `tenant-${__VU % 8}`);
  if (waitForGate(wid)) reply(S, wid);
}
