import 'reflect-metadata';
import { payloadHash } from '@gatehouse/contracts';
import { ReplayCompiler } from './replay.compiler';

describe('ReplayCompiler', () => {
  const compiler = new ReplayCompiler();
  const intent = {
    id: '7b1f6b8e-2f55-4f8b-9a51-6a3c1f0e9d11',
    goal: 'upgrade the payments service',
    inputs: { repo: 'payments', branch: 'main' },
    constraints: { maxCost: 10 },
  };

  it('compiles the same intent to the same plan and hash', async () => {
    const a = await compiler.compile(intent);
    const b = await compiler.compile({ ...intent, inputs: { branch: 'main', repo: 'payments' } });
    expect(b).toEqual(a);
    expect(a.planHash).toMatch(/^[a-f0-9]{64}$/);
    expect(a.planHash).toBe(payloadHash(a.plan));
  });

  it('derives its steps from the goal, the inputs in key order, and the constraints', async () => {
    const { plan } = await compiler.compile(intent);
    expect(plan).toEqual({
      schemaVersion: 1,
      compiler: 'replay',
      goal: intent.goal,
      constraints: { maxCost: 10 },
      steps: [
        { id: 'step-1', action: 'analyze', detail: intent.goal },
        { id: 'step-2', action: 'prepare-input', input: 'branch', value: 'main' },
        { id: 'step-3', action: 'prepare-input', input: 'repo', value: 'payments' },
        { id: 'step-4', action: 'execute', detail: intent.goal },
        { id: 'step-5', action: 'verify', constraints: ['maxCost'] },
      ],
    });
  });

  it('gives a different hash to a different intent and ignores the intent id', async () => {
    const base = await compiler.compile(intent);
    expect((await compiler.compile({ ...intent, goal: 'something else' })).planHash).not.toBe(base.planHash);
    expect((await compiler.compile({ ...intent, inputs: { repo: 'billing' } })).planHash).not.toBe(base.planHash);
    expect((await compiler.compile({ ...intent, id: 'another' })).planHash).toBe(base.planHash);
  });
});
