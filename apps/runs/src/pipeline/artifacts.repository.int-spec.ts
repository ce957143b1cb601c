import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { StepId } from '@gatehouse/contracts';
import { createDataSource } from '@gatehouse/persistence';
import { createTestDatabase, type TestDatabase } from '../../../../tools/test-support/database';
import { ArtifactsRepository, type NewArtifact } from './artifacts.repository';

describe('ArtifactsRepository (real Postgres)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  const repo = new ArtifactsRepository();

  beforeAll(async () => {
    db = await createTestDatabase('runs_artifacts');
    ds = createDataSource({ url: db.url, poolMax: 2, applicationName: 'test-runs-artifacts' });
    await ds.initialize();
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  async function newRun(): Promise<string> {
    const id = randomUUID();
    await db.query(
      `INSERT INTO runs.intents (id, goal, inputs, constraints) VALUES ($1, 'g', '{}'::jsonb, '{}'::jsonb)`,
      [id],
    );
    await db.query(
      `INSERT INTO runs.runs (id, status, next_action, queue_name, queue_partition_key, recipe_name, workload, tasks_total)
       VALUES ($1, 'PENDING', 'NONE', 'intentQ', 't', 'r', '{"concurrency":1,"steps":2,"sandboxMinutes":1}'::jsonb, 2)`,
      [id],
    );
    return id;
  }

  const artifact = (runId: string, idx: number, attempt: number): NewArtifact => ({
    runId,
    stepId: StepId.EXECUTE,
    taskKey: `task-${idx}`,
    attempt,
    idx,
    content: { attempt },
  });

  const rows = (runId: string) =>
    db.query<{ idx: number; attempt: number }>(
      `SELECT idx, attempt FROM runs.artifacts WHERE run_id = $1 ORDER BY idx, attempt`,
      [runId],
    );

  it('writes a task its first artifact only: not again at another attempt, nor at the same one', async () => {
    const run = await newRun();
    expect(await repo.exists(ds, run, StepId.EXECUTE, 'task-0', 0)).toBe(false);
    expect(await repo.insertFirst(ds, artifact(run, 0, 1))).toBe(true);
    expect(await repo.insertFirst(ds, artifact(run, 0, 2))).toBe(false);
    expect(await repo.insertFirst(ds, artifact(run, 0, 1))).toBe(false);
    expect(await repo.exists(ds, run, StepId.EXECUTE, 'task-0', 0)).toBe(true);
    // Another task of the same run is its own.
    expect(await repo.insertFirst(ds, artifact(run, 1, 2))).toBe(true);
    expect(await rows(run)).toEqual([
      { idx: 0, attempt: 1 },
      { idx: 1, attempt: 2 },
    ]);
  });

  it('tells whether a child task still has work: open, done, or its run finished or missing', async () => {
    const run = await newRun();
    expect(await repo.childTaskOpen(ds, run, StepId.EXECUTE, 'task-0', 0)).toBe(true);
    await repo.insertFirst(ds, artifact(run, 0, 1));
    expect(await repo.childTaskOpen(ds, run, StepId.EXECUTE, 'task-0', 0)).toBe(false);
    expect(await repo.childTaskOpen(ds, run, StepId.EXECUTE, 'task-1', 1)).toBe(true);
    await db.query(`UPDATE runs.runs SET status = 'CANCELLED' WHERE id = $1`, [run]);
    expect(await repo.childTaskOpen(ds, run, StepId.EXECUTE, 'task-1', 1)).toBe(false);
    expect(await repo.childTaskOpen(ds, randomUUID(), StepId.EXECUTE, 'task-0', 0)).toBe(false);
  });
});
