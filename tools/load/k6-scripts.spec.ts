import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { K6_DIR, loadK6Script, type K6Exports } from '../test-support/k6-runtime';
import { planFollowUps } from './reply-plan';

/**
 * k6 cannot be installed here, so these tests load the k6 scripts the way k6 would (ES modules,
 * `open`, `__ENV`) with the k6 runtime modules stubbed, and check what users run: that each script
 * parses, that its options hold the lane of tools/load/scenarios.json, and that its reply plan is the
 * Node runner's. e2e/k6-scripts.e2e-spec.ts runs them against the stack.
 */
const SCENARIOS = JSON.parse(readFileSync(join(K6_DIR, '../load/scenarios.json'), 'utf8'));

const STUBS: Record<string, K6Exports> = {
  k6: { check: () => true, sleep: () => undefined },
  'k6/http': { default: {} },
  'k6/execution': { default: { scenario: { iterationInTest: 0 } } },
};

const load = (file: string, env: Record<string, string> = {}): K6Exports => loadK6Script(file, { env, modules: STUBS });

describe('k6 scripts', () => {
  it('load-1k: closed loop of the scenario, or open loop at REPLY_RATE', () => {
    const S = SCENARIOS['load-1k'];
    const closed = load('load-1k.js').options;
    expect(closed.scenarios.load).toMatchObject({
      executor: 'shared-iterations',
      vus: S.concurrency,
      iterations: S.runs,
    });
    expect(closed.thresholds['http_req_failed{name:reply}']).toEqual(['rate==0']);

    const open = load('load-1k.js', { REPLY_RATE: '200' }).options;
    expect(open.scenarios.load).toMatchObject({
      executor: 'constant-arrival-rate',
      rate: 200,
      timeUnit: '1s',
      duration: `${Math.ceil(S.runs / 200)}s`,
    });
    expect(open.scenarios.load.maxVUs).toBeGreaterThanOrEqual(open.scenarios.load.preAllocatedVUs);
  });

  it('burst: the scenario runs and concurrency', () => {
    const S = SCENARIOS.burst;
    expect(load('burst.js').options.scenarios.burst).toMatchObject({
      executor: 'shared-iterations',
      vus: S.concurrency,
      iterations: S.runs,
    });
  });

  it('soak: the scenario rate and duration, SOAK_DURATION overriding it', () => {
    const S = SCENARIOS.soak;
    expect(load('soak.js').options.scenarios.soak).toMatchObject({
      executor: 'constant-arrival-rate',
      rate: S.ratePerS,
      duration: `${S.durationS}s`,
      preAllocatedVUs: S.concurrency,
    });
    expect(load('soak.js', { SOAK_DURATION: '30m' }).options.scenarios.soak.duration).toBe('30m');
  });

  it('plans the same replays and drifts as the Node runner', () => {
    const lib = load('lib.js');
    for (const name of ['load-1k', 'burst', 'short']) {
      const S = SCENARIOS[name];
      expect(lib.planFollowUps(S.runs, S.duplicateShare, S.driftShare)).toEqual(
        planFollowUps(S.runs, S.duplicateShare, S.driftShare),
      );
    }
    const mixed = lib.planFollowUps(1000, 0.2, 0.1, 7) as string[];
    expect(mixed.filter((f) => f === 'duplicate')).toHaveLength(200);
    expect(mixed.filter((f) => f === 'drift')).toHaveLength(100);
    expect(mixed).toEqual(planFollowUps(1000, 0.2, 0.1, 7));
  });
});
