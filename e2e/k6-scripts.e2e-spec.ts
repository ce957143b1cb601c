import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runOracle } from '../tools/oracle/run-oracle';
import { planFollowUps } from '../tools/load/reply-plan';
import { K6_DIR, runK6Script, type K6RunResult } from '../tools/test-support/k6-runtime';
import { Stack } from '../tools/test-support/stack';

const SCENARIOS = JSON.parse(readFileSync(join(K6_DIR, '../load/scenarios.json'), 'utf8'));

/** The scenarios file with one lane's settings replaced (small counts for a test). */
const withLane = (lane: string, over: Record<string, unknown>) => ({
  ...SCENARIOS,
  [lane]: { ...SCENARIOS[lane], ...over },
});

const failedChecks = (r: K6RunResult) => Object.entries(r.checks).filter(([, t]) => t.fails > 0);
const statuses = (r: K6RunResult, name: string) =>
  r.requests
    .filter((q) => q.name === name)
    .reduce<Record<number, number>>((by, q) => ({ ...by, [q.status]: (by[q.status] ?? 0) + 1 }), {});

/**
 * The k6 scripts of tools/k6, run against the real stack by a stand-in for k6's runtime
 * (tools/test-support/k6-runtime.ts: one virtual user, blocking HTTP), with the lanes' counts made
 * small: what they send is accepted as the contract says, and every one of their checks passes.
 */
describe('k6 scripts against the stack (e2e)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start({ name: 'k6' });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('load-1k.js: brings its runs to the plan gate in setup, then answers each gate once', async () => {
    const runs = 24;
    const r = await runK6Script('load-1k.js', {
      baseUrl: stack.baseUrl,
      scenarios: withLane('load-1k', { runs, concurrency: 8 }),
    });
    expect(failedChecks(r)).toEqual([]);
    expect(r.checks['every plan gate PENDING']).toEqual({ passes: 1, fails: 0 });
    expect(r.checks['reply 200 accepted']).toEqual({ passes: runs, fails: 0 });
    expect(statuses(r, 'intent')).toEqual({ 201: runs });
    expect(statuses(r, 'run')).toEqual({ 202: runs });
    expect(statuses(r, 'reply')).toEqual({ 200: runs });
  });

  it('load-1k.js with REPLY_RATE: the arrival-rate lane answers every gate once too', async () => {
    const runs = 12;
    const r = await runK6Script('load-1k.js', {
      baseUrl: stack.baseUrl,
      env: { REPLY_RATE: '5' },
      scenarios: withLane('load-1k', { runs, concurrency: 4 }),
    });
    expect(r.iterations).toBeGreaterThanOrEqual(runs);
    expect(failedChecks(r)).toEqual([]);
    expect(statuses(r, 'reply')).toEqual({ 200: runs });
  });

  it('burst.js: replays answered duplicate:true and drifts 409 DEDUPE_CONFLICT, as planned', async () => {
    const lane = { runs: 30, concurrency: 10 };
    const plan = planFollowUps(lane.runs, SCENARIOS.burst.duplicateShare, SCENARIOS.burst.driftShare);
    const r = await runK6Script('burst.js', { baseUrl: stack.baseUrl, scenarios: withLane('burst', lane) });
    expect(failedChecks(r)).toEqual([]);
    const duplicates = plan.filter((f) => f === 'duplicate').length;
    const drifts = plan.filter((f) => f === 'drift').length;
    expect(duplicates).toBeGreaterThan(0);
    expect(drifts).toBeGreaterThan(0);
    expect(statuses(r, 'reply')).toEqual({ 200: lane.runs });
    expect(statuses(r, 'duplicate')).toEqual({ 200: duplicates });
    expect(statuses(r, 'drift')).toEqual({ 409: drifts });
    expect(r.checks['duplicate 200']).toEqual({ passes: duplicates, fails: 0 });
    expect(r.checks['drift 409']).toEqual({ passes: drifts, fails: 0 });
  });

  it('soak.js: each iteration starts a run, waits for its gate and answers it', async () => {
    const r = await runK6Script('soak.js', {
      baseUrl: stack.baseUrl,
      scenarios: withLane('soak', { ratePerS: 2, durationS: 3 }),
    });
    expect(r.iterations).toBe(6);
    expect(failedChecks(r)).toEqual([]);
    expect(statuses(r, 'intent')).toEqual({ 201: 6 });
    expect(statuses(r, 'reply')).toEqual({ 200: 6 });
  });

  it('leaves the oracle clean: one ledger row per accepted reply, no duplicate decision', async () => {
    const report = await runOracle(stack.db.url);
    expect(report.violations).toEqual(Object.fromEntries(Object.keys(report.violations).map((k) => [k, []])));
    const rows = await stack.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM gates.human_interactions WHERE dedupe_key LIKE 'load-%'`,
    );
    expect(rows).toEqual([{ n: 24 + 12 + 30 + 6 }]);
  });
});
