import { AdapterError } from './adapter.error';
import { isPlainObject, postJson } from './post-json';
import type { Sandbox, SandboxResult, SandboxTask } from './sandbox';

/**
 * HTTP sandbox (SBX_MODE=live). Request: `POST SBX_URL {runId, taskKey, idx, sandboxMinutes}`.
 * Answer: a JSON object, stored as the task's artifact.
 */
export class LiveSandbox implements Sandbox {
  readonly mode = 'live' as const;

  constructor(
    private readonly url: string,
    private readonly timeoutMs: number,
  ) {}

  async run(task: SandboxTask): Promise<SandboxResult> {
    const body = await postJson('live sandbox', this.url, task, this.timeoutMs);
    if (!isPlainObject(body)) throw new AdapterError('live sandbox', 'answer is not a JSON object');
    return body;
  }
}
