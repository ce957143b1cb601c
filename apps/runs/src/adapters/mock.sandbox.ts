import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Sandbox, SandboxResult, SandboxTask } from './sandbox';

/**
 * Offline sandbox (SBX_MODE=mock): after SBX_MOCK_DELAY_MS, a result that depends only on
 * (runId, taskKey, idx), so a retried task produces the same artifact.
 */
export class MockSandbox implements Sandbox {
  readonly mode = 'mock' as const;

  constructor(private readonly delayMs: number) {}

  async run(task: SandboxTask): Promise<SandboxResult> {
    if (this.delayMs > 0) await sleep(this.delayMs);
    return mockResult(task);
  }
}

export function mockResult(task: SandboxTask): SandboxResult {
  const digest = createHash('sha256').update(`${task.runId}:${task.taskKey}:${task.idx}`).digest('hex');
  return {
    sandbox: 'mock',
    taskKey: task.taskKey,
    idx: task.idx,
    exitCode: 0,
    output: `${task.taskKey} completed`,
    digest,
  };
}
