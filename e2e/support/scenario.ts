import type { Api } from './http';
import { eventually } from './http';

export const DEFAULT_WORKLOAD = { concurrency: 2, steps: 5, sandboxMinutes: 1 };

/** Creates an intent and starts its run; returns the workflow id. */
export async function startRun(api: Api, overrides: Record<string, unknown> = {}): Promise<string> {
  const intent = await api.post('/api/intents', {
    goal: 'ship the plan',
    inputs: { repo: 'demo' },
    constraints: { maxCost: 10 },
  });
  if (intent.status !== 201) throw new Error(`intent: ${intent.status} ${JSON.stringify(intent.body)}`);
  const run = await api.post('/api/runs', {
    intentId: intent.body.intentId,
    queueName: 'intentQ',
    queuePartitionKey: 'tenant-a',
    recipeName: 'agent-plan',
    workload: DEFAULT_WORKLOAD,
    ...overrides,
  });
  if (run.status !== 202) throw new Error(`run: ${run.status} ${JSON.stringify(run.body)}`);
  return run.body.workflowID;
}

/** Waits until the run's plan gate is open (PENDING) and returns its detail. */
export function planGateOpen(api: Api, wid: string): Promise<any> {
  return eventually(
    async () => {
      const res = await api.get(`/api/runs/${wid}/gates/approve-plan`);
      return res.status === 200 && res.body.state === 'PENDING' ? res.body : undefined;
    },
    20_000,
    `plan gate of ${wid}`,
  );
}

/** Waits until the run reaches `status`. */
export function runReaches(api: Api, wid: string, status: string, timeoutMs = 30_000): Promise<any> {
  return eventually(
    async () => {
      const res = await api.get(`/api/runs/${wid}`);
      return res.status === 200 && res.body.status === status ? res.body : undefined;
    },
    timeoutMs,
    `run ${wid} to reach ${status}`,
  );
}
