import { parsePatch, planVersions, preview } from './plan-versions';

describe('plan versions', () => {
  const plan = { steps: [{ action: 'deploy', environment: 'staging' }], budget: 10 };

  it('previews a patch without changing the plan and lists what changed', () => {
    const p = preview(plan, [{ op: 'replace', path: '/budget', value: 5 }]);
    expect(p).toEqual({
      ok: true,
      plan: { ...plan, budget: 5 },
      changes: [{ op: 'replace', path: '/budget', value: 5 }],
    });
    expect(plan.budget).toBe(10);
  });

  it('says why a patch does not apply', () => {
    const p = preview(plan, [{ op: 'replace', path: '/nope/deeper', value: 1 }]);
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.message).toMatch(/OPERATION_PATH_UNRESOLVABLE/);
    expect(preview(plan, { op: 'add' }).ok).toBe(false);
  });

  it('builds one version per accepted patch, in ledger order, skipping replies without one', () => {
    const versions = planVersions(plan, [
      { payload: { choice: 'yes' }, actor: 'a', createdAt: '2026-01-01T00:00:00Z' },
      {
        payload: { choice: 'yes', patch: [{ op: 'replace', path: '/budget', value: 7 }] },
        actor: 'b',
        createdAt: '2026-01-01T00:01:00Z',
      },
      {
        payload: { choice: 'yes', patch: [{ op: 'add', path: '/steps/-', value: { action: 'notify' } }] },
        actor: 'c',
        createdAt: '2026-01-01T00:02:00Z',
      },
    ]);
    expect(versions.map((v) => [v.n, v.by])).toEqual([
      [1, null],
      [2, 'b'],
      [3, 'c'],
    ]);
    expect(versions[2].plan).toEqual({ steps: [...plan.steps, { action: 'notify' }], budget: 7 });
    expect(versions[2].changes).toEqual([{ op: 'add', path: '/steps/1', value: { action: 'notify' } }]);
  });

  it('parses the patch field: empty is no patch, anything but an array of operations is an error', () => {
    expect(parsePatch('  ')).toEqual({ ok: true, patch: undefined });
    expect(parsePatch('[{"op":"remove","path":"/budget"}]')).toEqual({
      ok: true,
      patch: [{ op: 'remove', path: '/budget' }],
    });
    expect(parsePatch('{').ok).toBe(false);
    expect(parsePatch('{"op":"remove"}')).toEqual({ ok: false, message: 'a JSON Patch is an array of operations' });
  });
});
