/** The sandbox adapter: runs one child task of ExecuteST. */
export interface SandboxTask {
  runId: string;
  taskKey: string;
  idx: number;
  sandboxMinutes: number;
}

/** Stored as the task's artifact content. */
export type SandboxResult = Record<string, unknown>;

export interface Sandbox {
  readonly mode: 'mock' | 'live';
  run(task: SandboxTask): Promise<SandboxResult>;
}

export const SANDBOX = Symbol('SANDBOX');
