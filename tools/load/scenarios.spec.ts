import { loadScenarios, resolveScenario } from './scenarios';

describe('scenarios.json', () => {
  const all = loadScenarios();

  it('holds the lanes the runner and the k6 scripts share', () => {
    expect(Object.keys(all)).toEqual(expect.arrayContaining(['load-1k', 'burst', 'soak', 'short']));
  });

  it('resolves a scenario with its shares and workload', () => {
    expect(resolveScenario('burst', {}, all)).toMatchObject({
      name: 'burst',
      runs: 500,
      concurrency: 64,
      duplicateShare: 0.2,
      driftShare: 0.1,
    });
    expect(resolveScenario('short', { runs: 5, concurrency: 2 }, all)).toMatchObject({ runs: 5, concurrency: 2 });
  });

  it('derives idle-gates from load-1k, and needs --runs for the time-based soak', () => {
    expect(resolveScenario('idle-gates', { runs: 10_000 }, all)).toMatchObject({
      name: 'idle-gates',
      runs: 10_000,
      concurrency: 32,
    });
    expect(() => resolveScenario('soak', {}, all)).toThrow(/--runs/);
    expect(resolveScenario('soak', { runs: 10 }, all)).toMatchObject({ runs: 10, duplicateShare: 0.1 });
  });

  it('refuses unknown names and impossible shares', () => {
    expect(() => resolveScenario('nope', {}, all)).toThrow(/unknown scenario/);
    expect(() =>
      resolveScenario('x', {}, { x: { runs: 1, concurrency: 1, duplicateShare: 0.8, driftShare: 0.5 } }),
    ).toThrow(/at most 1/);
    expect(() => resolveScenario('x', {}, { x: { runs: 1, concurrency: 1, duplicateShare: -1 } })).toThrow(/0\.\.1/);
  });
});
