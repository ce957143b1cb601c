import type { TestDatabase } from '../../tools/test-support/database';
import type { Api } from './http';
import { startRun } from './scenario';

/** Helpers of the partition fairness tests: runs started and approved as fast as a script can. */

export interface Workload {
  concurrency: number;
  steps: number;
  sandboxMinutes: number;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls every `everyMs` (finer than `eventually`: these tests time runs of a second or less). */
export async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string, everyMs = 20) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Starts a run in `partition` and answers its plan gate `yes` as soon as it opens; returns its id. */
export async function startApproved(api: Api, partition: string, workload: Workload): Promise<string> {
  const wid = await startRun(api, { queuePartitionKey: partition, workload });
  await approveWhenOpen(api, wid);
  return wid;
}

export async function approveWhenOpen(api: Api, wid: string): Promise<void> {
  await until(
    async () => {
      const res = await api.get(`/api/runs/${wid}/gates/approve-plan`);
      return res.status === 200 && res.body.state === 'PENDING' ? true : undefined;
    },
    60_000,
    `plan gate of ${wid}`,
  );
  const res = await api.post(`/api/runs/${wid}/gates/approve-plan/reply`, {
    payload: { choice: 'yes', rationale: 'fairness test' },
    dedupeKey: `approve-${wid}`,
  });
  if (res.status !== 200) throw new Error(`reply to ${wid}: ${res.status} ${JSON.stringify(res.body)}`);
}

export interface RunTiming {
  id: string;
  partition: string;
  status: string;
  /** From the run's creation to its terminal update, by the database's clock. */
  seconds: number;
  finishedAt: Date;
}

/** The runs' status and times, once every one of them is terminal (else undefined). */
export async function finishedRuns(db: TestDatabase, ids: string[]): Promise<RunTiming[] | undefined> {
  const rows = await db.query<{ id: string; queue_partition_key: string; status: string; s: number; updated_at: Date }>(
    `SELECT id, queue_partition_key, status, extract(epoch FROM updated_at - created_at)::float8 AS s, updated_at
       FROM runs.runs WHERE id = ANY($1::uuid[])`,
    [ids],
  );
  if (rows.length !== ids.length || rows.some((r) => !['SUCCESS', 'ERROR', 'CANCELLED'].includes(r.status)))
    return undefined;
  return rows.map((r) => ({
    id: r.id,
    partition: r.queue_partition_key,
    status: r.status,
    seconds: r.s,
    finishedAt: new Date(r.updated_at),
  }));
}

export function waitFinished(db: TestDatabase, ids: string[], timeoutMs: number): Promise<RunTiming[]> {
  return until(() => finishedRuns(db, ids), timeoutMs, `${ids.length} runs to finish`, 50);
}

/** Child tasks of a partition's runs not done yet. */
export async function tasksLeft(db: TestDatabase, partition: string): Promise<number> {
  const rows = await db.query<{ n: number }>(
    `SELECT coalesce(sum(tasks_total - tasks_done), 0)::int AS n FROM runs.runs WHERE queue_partition_key = $1`,
    [partition],
  );
  return rows[0].n;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
