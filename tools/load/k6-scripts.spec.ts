import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import * as ts from 'typescript';
import { planFollowUps } from './reply-plan';

/**
 * k6 cannot be installed here, so these tests load the k6 scripts the way k6 would (ES modules,
 * `open`, `__ENV`) with the k6 runtime modules stubbed, and check what users run: that each script
 * parses, that its options hold the lane of tools/load/scenarios.json, and that its reply plan is the
 * Node runner's. The traffic itself is exercised by the Node runner on the same scenarios.
 */
const K6_DIR = join(__dirname, '../k6');
const SCENARIOS = JSON.parse(readFileSync(join(K6_DIR, '../load/scenarios.json'), 'utf8'));

type Exports = Record<string, any>;

function load(file: string, env: Record<string, string> = {}, cache = new Map<string, Exports>()): Exports {
  const cached = cache.get(file);
  if (cached) return cached;
  const source = readFileSync(join(K6_DIR, file), 'utf8');
  const { outputText, diagnostics } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020 },
    reportDiagnostics: true,
    fileName: file,
  });
  expect(diagnostics ?? []).toEqual([]);
  const k6Runtime: Record<string, Exports> = {
    k6: { check: () => true, sleep: () => undefined },
    'k6/http': { default: {} },
    'k6/execution': { default: { scenario: { iterationInTest: 0 } } },
  };
  const module = { exports: {} as Exports };
  cache.set(file, module.exports);
  runInNewContext(outputText, {
    module,
    exports: module.exports,
    __ENV: env,
    // k6's open() resolves against the script's folder.
    open: (path: string) => readFileSync(join(K6_DIR, path), 'utf8'),
    require: (name: string) => {
      if (name in k6Runtime) return k6Runtime[name];
      if (name.startsWith('./')) return load(name.slice(2), env, cache);
      throw new Error(`a k6 script may import k6 modules and ./ files only, not ${name}`);
    },
  });
  return module.exports;
}

describe('k6 scripts', () => {
  it('load-1k: closed loop of the scenario, or open loop at REPLY_RATE', () => {
    const S = SCENARIOS['load-1k'];
    const closed = load('load-1k.js').options;
    expect(closed.scenarios.load).toMatchObject({ executor: 'shared-iterations', vus: S.concurrency, iterations: S.runs });
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
