import 'reflect-metadata';
import { payloadHash } from '../hashing/canonical-json';
import type { JsonPatchOpDto } from './reply.dto';
import { applyPlanPatch } from './plan-patch';

describe('applyPlanPatch', () => {
  const plan = () => ({ goal: 'g', steps: [{ id: 'step-1', action: 'analyze' }], constraints: { maxCost: 10 } });

  it('keeps the plan when there is no patch', () => {
    const p = plan();
    expect(applyPlanPatch(p, null)).toEqual({ ok: true, plan: p, planHash: payloadHash(p), operations: 0 });
    expect(applyPlanPatch(p, [])).toMatchObject({ ok: true, operations: 0 });
  });

  it('applies operations to a copy and hashes the result', () => {
    const p = plan();
    const patch: JsonPatchOpDto[] = [
      { op: 'replace', path: '/constraints/maxCost', value: 5 },
      { op: 'add', path: '/steps/-', value: { id: 'step-2', action: 'notify' } },
      { op: 'test', path: '/goal', value: 'g' },
    ];
    const out = applyPlanPatch(p, patch);
    const expected = {
      goal: 'g',
      steps: [
        { id: 'step-1', action: 'analyze' },
        { id: 'step-2', action: 'notify' },
      ],
      constraints: { maxCost: 5 },
    };
    expect(out).toEqual({ ok: true, plan: expected, planHash: payloadHash(expected), operations: 3 });
    expect(p).toEqual(plan());
  });

  it.each<[string, JsonPatchOpDto[]]>([
    ['a path that does not exist', [{ op: 'replace', path: '/nope/deeper', value: 1 }]],
    ['a failed test', [{ op: 'test', path: '/goal', value: 'other' }]],
    ['a remove of a missing member', [{ op: 'remove', path: '/missing' }]],
    ['an add without a value', [{ op: 'add', path: '/x' }]],
    ['a prototype modification', [{ op: 'add', path: '/__proto__/polluted', value: true }]],
    ['a root replaced by a non-object', [{ op: 'replace', path: '', value: [1, 2] }]],
    ['a move from a missing path', [{ op: 'move', from: '/missing', path: '/x' }]],
  ])('reports %s as an invalid patch without touching the plan', (_name, patch) => {
    const p = plan();
    const out = applyPlanPatch(p, patch);
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.message.length).toBeGreaterThan(0);
    expect(p).toEqual(plan());
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
