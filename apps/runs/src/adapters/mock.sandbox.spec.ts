import { MockSandbox } from './mock.sandbox';

describe('MockSandbox', () => {
  const task = { runId: '7b1f6b8e-2f55-4f8b-9a51-6a3c1f0e9d11', taskKey: 'task-3', idx: 3, sandboxMinutes: 1 };

  it('returns the same result for the same (runId, taskKey, idx)', async () => {
    const sandbox = new MockSandbox(0);
    const a = await sandbox.run(task);
    expect(await sandbox.run({ ...task })).toEqual(a);
    expect(await new MockSandbox(0).run({ ...task, sandboxMinutes: 9 })).toEqual(a);
    expect(a).toMatchObject({ sandbox: 'mock', taskKey: 'task-3', idx: 3, exitCode: 0 });
    expect(a.digest).toMatch(/^[a-f0-9]{64}$/);
  });

  it('distinguishes tasks and runs', async () => {
    const sandbox = new MockSandbox(0);
    const a = await sandbox.run(task);
    expect((await sandbox.run({ ...task, idx: 4, taskKey: 'task-4' })).digest).not.toBe(a.digest);
    expect((await sandbox.run({ ...task, runId: 'd2c9f0a4-1111-4222-8333-444455556666' })).digest).not.toBe(a.digest);
  });

  it('answers after the configured delay', async () => {
    const started = process.hrtime.bigint();
    await new MockSandbox(120).run(task);
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    expect(elapsedMs).toBeGreaterThanOrEqual(110);
  });
});
