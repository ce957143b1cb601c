import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../../../tools/test-support/database';

/**
 * Migration 1763700001300: the seed's `app.*` and `dbos.*` names as read-only views over the service
 * schemas. Rows are written into the service tables as the services write them; the field course's
 * L07 query and L20 oracle pack are run verbatim against the views.
 */
describe('seed compatibility views (real Postgres)', () => {
  let db: TestDatabase;
  const wid = randomUUID();
  const other = randomUUID();
  const hash = 'a'.repeat(64);

  beforeAll(async () => {
    db = await createTestDatabase('compat_views');
    for (const id of [wid, other]) {
      await db.query(`INSERT INTO runs.intents (id, goal) VALUES ($1, 'g')`, [id]);
      await db.query(
        `INSERT INTO runs.runs (id, status, last_step, queue_name, queue_partition_key, recipe_name, workload, error)
         VALUES ($1, 'ERROR', 'CompileST', 'intentQ', 'tenant-008', 'compile-default', '{}', '{"code":"GATE_TIMED_OUT"}')`,
        [id],
      );
      await db.query(
        `INSERT INTO runs.run_steps (run_id, step_id, attempt, status) VALUES ($1, 'CompileST', 1, 'SUCCEEDED')`,
        [id],
      );
      await db.query(
        `INSERT INTO runs.artifacts (run_id, step_id, task_key, attempt, idx, content) VALUES ($1, 'CompileST', 'plan', 1, 0, '{}')`,
        [id],
      );
      await db.query(
        `INSERT INTO gates.gates (workflow_id, gate_key, state, topic, recipe_name, choices, policy, deadline_at, closed_at)
         VALUES ($1, 'approve-plan', 'TIMED_OUT', 'human:approve-plan', 'compile-default', '["yes","no"]', '{}', now(), now())`,
        [id],
      );
      for (const key of ['ui:approve-plan', 'decision:approve-plan']) {
        await db.query(`INSERT INTO gates.workflow_events (workflow_id, key, value) VALUES ($1, $2, '{}')`, [id, key]);
      }
      await db.query(
        `INSERT INTO escalation.timers (workflow_id, gate_key, deadline_at, action, policy, status)
         VALUES ($1, 'approve-plan', now(), 'reject', '{}', 'FIRED')`,
        [id],
      );
    }
    await db.query(
      `INSERT INTO gates.human_interactions (workflow_id, gate_key, topic, dedupe_key, payload, payload_hash, origin)
       VALUES ($1, 'approve-plan', 'human:approve-plan', 'late-1', '{"choice":"yes"}', $2, 'rest')`,
      [wid, hash],
    );
    await db.query(
      `INSERT INTO gates.workflow_events (workflow_id, key, value, audit_key) VALUES ($1, 'ui:approve-plan:audit', '{}', 'a1'),
       ($1, 'ui:approve-plan:audit', '{}', 'a2')`,
      [wid],
    );
    await db.query(
      `INSERT INTO escalation.escalations (id, workflow_id, gate_key, status, action) VALUES ($1, $2, 'approve-plan', 'COMPLETED', 'reject')`,
      [`esc:${wid}:approve-plan`, wid],
    );
  });

  afterAll(async () => {
    await db?.drop();
  });

  it("answers the course's L07 query: the escalation workflow esc:<wid>:<g>", async () => {
    const W3 = wid;
    const rows = await db.query(
      `SELECT workflow_uuid,status,queue_name FROM dbos.workflow_status WHERE workflow_uuid LIKE 'esc:${W3}:%' ORDER BY updated_at DESC LIMIT 5;`,
    );
    expect(rows).toEqual([{ workflow_uuid: `esc:${wid}:approve-plan`, status: 'SUCCESS', queue_name: null }]);
  });

  it('lists runs and escalation workflows in dbos.workflow_status with the seed columns', async () => {
    const rows = await db.query(
      `SELECT workflow_uuid, status, queue_name, created_at, updated_at FROM dbos.workflow_status ORDER BY workflow_uuid`,
    );
    const listed = rows.map((r) => `${r.workflow_uuid} ${r.status} ${r.queue_name}`).sort();
    expect(listed).toEqual(
      [`${wid} ERROR intentQ`, `${other} ERROR intentQ`, `esc:${wid}:approve-plan SUCCESS null`].sort(),
    );
    expect(rows.every((r) => r.created_at instanceof Date && r.updated_at instanceof Date)).toBe(true);
  });

  it("runs the course's L20 oracle pack unchanged: listings answer, every duplicate set is empty", async () => {
    const runs = await db.query(
      `SELECT id,workflow_id,status,last_step,next_action,retry_count,error FROM app.runs ORDER BY created_at DESC LIMIT 20;`,
    );
    expect(runs).toHaveLength(2);
    expect(runs.find((r) => r.id === wid)).toEqual({
      id: wid,
      workflow_id: wid,
      status: 'ERROR',
      last_step: 'CompileST',
      next_action: 'NONE',
      retry_count: 0,
      error: { code: 'GATE_TIMED_OUT' },
    });
    const zeroSets = [
      `SELECT run_id,step_id,attempt,count(*) c FROM app.run_steps GROUP BY run_id,step_id,attempt HAVING count(*)>1;`,
      `SELECT run_id,step_id,task_key,attempt,idx,count(*) c FROM app.artifacts GROUP BY run_id,step_id,task_key,attempt,idx HAVING count(*)>1;`,
      `SELECT workflow_id,gate_key,topic,dedupe_key,count(*) c FROM app.human_interactions GROUP BY workflow_id,gate_key,topic,dedupe_key HAVING count(*)>1;`,
      `SELECT workflow_uuid,key,count(*) c FROM dbos.workflow_events WHERE key LIKE 'decision:%' GROUP BY workflow_uuid,key HAVING count(*)>1;`,
      `SELECT workflow_uuid,key,count(*) c FROM dbos.workflow_events WHERE key LIKE 'ui:%' AND key NOT LIKE '%:result' AND key NOT LIKE '%:audit' GROUP BY workflow_uuid,key HAVING count(*)>1;`,
    ];
    for (const sql of zeroSets) expect(await db.query(sql)).toEqual([]);
    expect(
      await db.query(`SELECT origin,count(*) FROM app.human_interactions GROUP BY origin ORDER BY count(*) DESC;`),
    ).toEqual([{ origin: 'rest', count: '1' }]);
    expect(
      await db.query(`SELECT count(*) AS bad_hash FROM app.human_interactions WHERE payload_hash !~ '^[a-f0-9]{64}$';`),
    ).toEqual([{ bad_hash: '0' }]);
  });

  it('would show a duplicate: the zero sets are not empty by construction', async () => {
    // The audit key repeats by design; the same grouping over it finds the repeat, as it would a duplicate prompt.
    const audits = await db.query(
      `SELECT workflow_uuid,key,count(*) c FROM dbos.workflow_events WHERE key LIKE 'ui:%:audit' GROUP BY workflow_uuid,key HAVING count(*)>1;`,
    );
    expect(audits).toEqual([{ workflow_uuid: wid, key: 'ui:approve-plan:audit', c: '2' }]);
  });

  it('has the seed column names and types the course compares against', async () => {
    const cols = await db.query<{ t: string; column_name: string; data_type: string }>(
      `SELECT table_schema || '.' || table_name AS t, column_name, data_type FROM information_schema.columns
       WHERE table_schema IN ('app', 'dbos') AND column_name IN ('id','workflow_id','workflow_uuid','payload_hash','key','status','queue_name','created_at','updated_at')
       ORDER BY 1, 2`,
    );
    const typeOf = (t: string, c: string) => cols.find((x) => x.t === t && x.column_name === c)?.data_type;
    expect(typeOf('app.runs', 'id')).toBe('uuid');
    expect(typeOf('app.runs', 'workflow_id')).toBe('uuid');
    expect(typeOf('app.human_interactions', 'payload_hash')).toBe('text');
    expect(typeOf('dbos.workflow_status', 'workflow_uuid')).toBe('text');
    expect(typeOf('dbos.workflow_status', 'queue_name')).toBe('text');
    expect(typeOf('dbos.workflow_status', 'updated_at')).toBe('timestamp with time zone');
    expect(typeOf('dbos.workflow_events', 'workflow_uuid')).toBe('text');
    expect(typeOf('dbos.workflow_events', 'key')).toBe('text');
  });

  it.each([
    ['app.runs', `UPDATE app.runs SET status = 'SUCCESS'`],
    ['app.runs', `DELETE FROM app.runs`],
    ['app.run_steps', `UPDATE app.run_steps SET attempt = 2`],
    ['app.artifacts', `DELETE FROM app.artifacts`],
    ['app.human_interactions', `UPDATE app.human_interactions SET payload_hash = 'x'`],
    [
      'app.human_interactions',
      `INSERT INTO app.human_interactions (workflow_id, gate_key, topic, dedupe_key, payload, payload_hash, origin)
       VALUES ('${wid}', 'approve-plan', 'human:approve-plan', 'forged', '{}', '${hash}', 'sql')`,
    ],
    ['dbos.workflow_status', `DELETE FROM dbos.workflow_status`],
    [
      'dbos.workflow_events',
      `INSERT INTO dbos.workflow_events (workflow_uuid, key, value) VALUES ('${wid}', 'decision:approve-plan', '{}')`,
    ],
    ['dbos.workflow_events', `DELETE FROM dbos.workflow_events`],
  ])('refuses a write through %s and changes nothing: %s', async (view, sql) => {
    const counts = () =>
      db.query(
        `SELECT (SELECT count(*) FROM runs.runs) r, (SELECT count(*) FROM runs.run_steps) s, (SELECT count(*) FROM runs.artifacts) a,
                (SELECT count(*) FROM gates.human_interactions) h, (SELECT count(*) FROM gates.workflow_events) e,
                (SELECT count(*) FROM escalation.escalations) x,
                (SELECT count(*) FROM runs.runs WHERE status = 'SUCCESS') ok,
                (SELECT count(*) FROM gates.human_interactions WHERE payload_hash = 'x') bad`,
      );
    const before = await counts();
    await expect(db.query(sql)).rejects.toThrow(`${view} is a read-only compatibility view`);
    expect(await counts()).toEqual(before);
  });
});
