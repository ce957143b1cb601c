// k6 run tools/k6/soak.js  (BASE_URL=http://host:3001; SOAK_DURATION=30m overrides the scenario's duration)
// Steady mixed traffic at a constant arrival rate: each iteration starts a run, waits for its gate
// and answers it, with a replay or a drift by the scenario's shares (drawn per iteration).
import exec from 'k6/execution';
import { SCENARIOS, startRun, waitForGate, reply, randomFollowUp } from './lib.js';

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
  const wid = startRun(S, exec.scenario.iterationInTest);
  if (waitForGate(wid)) reply(wid, randomFollowUp(S));
}
