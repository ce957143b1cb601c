// k6 run tools/k6/soak.js  (SOAK_DURATION=30m to override the scenario's duration)
// Steady mixed traffic: each iteration starts a run, waits for its gate and answers it.
import { SCENARIOS, startRun, waitForGate, reply } from './lib.js';

const S = SCENARIOS.soak;

export const options = {
  scenarios: {
    soak: {
      executor: 'constant-arrival-rate',
      rate: S.ratePerS,
      timeUnit: '1s',
      duration: __ENV.SOAK_DURATION || `${S.durationS}s`,
      preAllocatedVUs: S.concurrency,
      maxVUs: S.concurrency * 4,
    },
  },
  thresholds: { 'http_req_failed{name:reply}': ['rate==0'], checks: ['rate==1'] },
};

export default function () {
  const wid = startRun(S, `tenant-${__VU % 8}`);
  if (waitForGate(wid)) reply(S, wid);
}
