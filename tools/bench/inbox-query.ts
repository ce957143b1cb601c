/**
 * The inbox query at scale (DESIGN section 14): fills gates.gates of a fresh database with 1,000,000
 * gates (100,000 PENDING) spread over recipes, partitions, risk levels and requesters, then times the
 * gates service's own inbox SQL (InboxRepository) for the first page, a page 50,000 gates deep, and
 * the filters, and prints each query plan (EXPLAIN ANALYZE).
 *
 *   npm run build && node dist/tools/bench/inbox-query.js [--gates 1000000] [--pending 100000] [--iterations 300] [--rounds 3] [--keep]
 *
 * Prints JSON: per scenario the p50 and p99 of each round (in milliseconds, measured in this client,
 * so they include the round trip) and their medians; writes .tmp/inbox-query-bench.json with the plans.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { GateState, type InboxPosition, type InboxQuery } from '@gatehouse/contracts';
import type { Db } from '@gatehouse/persistence';
import { InboxRepository } from '../../apps/gates/src/inbox/inbox.repository';
import { median, percentile } from '../load/latency';
import { ROOT } from '../test-support/paths';
import { createTestDatabase } from '../test-support/database';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const GATES = Number(arg('gates', '1000000'));
const PENDING = Number(arg('pending', '100000'));
const ITERATIONS = Number(arg('iterations', '300'));
const ROUNDS = Number(arg('rounds', '3'));
const RECIPES = ['compile-default', 'agent-plan', 'deploy', 'data-migration', 'etl-nightly', 'schema-change'];
const PARTITIONS = 200;
const REQUESTERS = 50;

/** Fills the table as a year of traffic would: most gates closed, the pending ones due over the next weeks. */
async function fill(client: Client): Promise<void> {
  await client.query(
    `
    INSERT INTO gates.gates (workflow_id, gate_key, state, topic, recipe_name, choices, policy, deadline_at, opened_at,
                             closed_at, risk_level, required_approvals, title, run_goal, run_partition, requested_by,
                             allowed_roles)
    SELECT gen_random_uuid(), 'approve-plan', s.state, 'human:approve-plan',
           ($3::text[])[1 + i % ${RECIPES.length}], '[]'::jsonb, '{}'::jsonb,
           s.opened + interval '1 hour', s.opened, CASE WHEN s.state = 'PENDING' THEN NULL ELSE s.opened + interval '10 minutes' END,
           (ARRAY['low','medium','medium','medium','high','high','critical'])[1 + (i / 7) % 7],
           CASE WHEN i % 10 = 0 THEN 2 ELSE 1 END,
           'Approve the plan: goal ' || i, 'goal ' || i, 'tenant-' || (i::bigint * 7919) % ${PARTITIONS},
           'key:requester-' || i % ${REQUESTERS},
           CASE WHEN i % 5 = 0 THEN ARRAY['deployer'] ELSE NULL END
    FROM generate_series(1, $1::int) i,
    LATERAL (SELECT CASE WHEN i <= $2::int THEN 'PENDING'
                         ELSE (ARRAY['RECEIVED','RECEIVED','RECEIVED','TIMED_OUT','CANCELLED'])[1 + i % 5] END AS state,
                    CASE WHEN i <= $2::int THEN now() - interval '1 hour' + (i % 40000) * interval '1 minute'
                         ELSE now() - interval '1 year' + (i % 500000) * interval '1 minute' END AS opened) s`,
    [GATES, PENDING, RECIPES],
  );
  // The runs of closed gates ended: the inbox joins them for each item's run status.
  await client.query(`
    INSERT INTO gates.finished_runs (workflow_id, status)
    SELECT workflow_id, 'SUCCESS' FROM gates.gates WHERE state <> 'PENDING'`);
  await client.query(`VACUUM ANALYZE gates.gates`);
  await client.query(`VACUUM ANALYZE gates.finished_runs`);
}

interface Scenario {
  name: string;
  query: InboxQuery;
  /** Start this many gates deep (a cursor taken from the position of that gate). */
  deep?: number;
}

const BASE: InboxQuery = { state: GateState.PENDING, limit: 50 };
const SCENARIOS: Scenario[] = [
  { name: 'first page', query: BASE },
  { name: 'page 50,000 deep', query: BASE, deep: 50_000 },
  { name: 'recipe filter, first page', query: { ...BASE, recipe: 'deploy' } },
  { name: 'recipe filter, 10,000 deep', query: { ...BASE, recipe: 'deploy' }, deep: 10_000 },
  { name: 'partition filter, first page', query: { ...BASE, partition: 'tenant-42' } },
  { name: 'risk critical, first page', query: { ...BASE, riskLevel: 'critical' } },
  { name: 'olderThanS=1800, first page', query: { ...BASE, olderThanS: 1800 } },
  {
    name: 'mine=true (reviewer), first page',
    query: { ...BASE, decider: { id: 'key:requester-3', roles: ['reviewer'] } },
  },
  { name: 'state RECEIVED, first page', query: { ...BASE, state: GateState.RECEIVED } },
  { name: 'limit 200, first page', query: { ...BASE, limit: 200 } },
];

async function positionAt(client: Client, q: InboxQuery, offset: number): Promise<InboxPosition> {
  const params: unknown[] = [q.state];
  let where = 'state = $1';
  if (q.recipe) {
    params.push(q.recipe);
    where += ` AND recipe_name = $2`;
  }
  const { rows } = await client.query(
    `SELECT to_char(deadline_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS d, workflow_id, gate_key
     FROM gates.gates WHERE ${where} ORDER BY deadline_at, workflow_id, gate_key OFFSET ${offset} LIMIT 1`,
    params,
  );
  return { deadlineAt: rows[0].d, workflowId: rows[0].workflow_id, gateKey: rows[0].gate_key };
}

async function main(): Promise<void> {
  const db = await createTestDatabase('inbox_bench');
  const client = new Client({ connectionString: db.url, application_name: 'inbox-bench' });
  await client.connect();
  try {
    const started = Date.now();
    await fill(client);
    const fillS = (Date.now() - started) / 1000;
    // The repository's SQL, run on this client; the plans come from the same statements.
    let capture: { sql: string; params: unknown[] } | undefined;
    const onClient = {
      query: async (sql: string, params?: unknown[]) => {
        capture = { sql, params: params ?? [] };
        return (await client.query(sql, params)).rows;
      },
    } as Db;
    const repo = new InboxRepository();
    const plans: Record<string, string> = {};
    const rounds: Record<string, { p50: number[]; p99: number[]; rows: number; server: number[] }> = {};
    const loadAtStart = loadavg()[0];
    const round2 = (x: number) => Math.round(x * 100) / 100;
    for (let r = 0; r < ROUNDS; r++) {
      for (const s of SCENARIOS) {
        const after = s.deep ? await positionAt(client, s.query, s.deep) : undefined;
        const take = s.query.limit + 1;
        for (let i = 0; i < 20; i++) await repo.page(onClient, s.query, after, take);
        const times: number[] = [];
        let rows = 0;
        for (let i = 0; i < ITERATIONS; i++) {
          const t0 = process.hrtime.bigint();
          rows = (await repo.page(onClient, s.query, after, take)).length;
          times.push(Number(process.hrtime.bigint() - t0) / 1e6);
        }
        times.sort((a, b) => a - b);
        const acc = (rounds[s.name] ??= { p50: [], p99: [], rows, server: [] });
        acc.p50.push(round2(percentile(times, 50)));
        acc.p99.push(round2(percentile(times, 99)));
        // The database's own execution time, free of this client's and the machine's scheduling noise.
        for (let i = 0; i < 50; i++) {
          const plan = await client.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${capture!.sql}`, capture!.params);
          acc.server.push(plan.rows[0]['QUERY PLAN'][0]['Execution Time']);
        }
        if (r === 0) {
          const plan = await client.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${capture!.sql}`, capture!.params);
          plans[s.name] = plan.rows.map((x: Record<string, string>) => x['QUERY PLAN']).join('\n');
        }
      }
    }
    const results = Object.entries(rounds).map(([scenario, x]) => ({
      scenario,
      rows: x.rows,
      p50Ms: x.p50,
      p99Ms: x.p99,
      medianP50Ms: median(x.p50),
      medianP99Ms: median(x.p99),
      serverP50Ms: round2(
        percentile(
          [...x.server].sort((a, b) => a - b),
          50,
        ),
      ),
      serverP99Ms: round2(
        percentile(
          [...x.server].sort((a, b) => a - b),
          99,
        ),
      ),
    }));
    const loadAverage = { start: loadAtStart, end: loadavg()[0], cores: cpus().length };
    const counts = (
      await client.query(
        `SELECT count(*)::int AS gates, count(*) FILTER (WHERE state = 'PENDING')::int AS pending FROM gates.gates`,
      )
    ).rows[0];
    const report = { ...counts, fillS, iterations: ITERATIONS, rounds: ROUNDS, loadAverage, results, plans };
    mkdirSync(join(ROOT, '.tmp'), { recursive: true });
    writeFileSync(join(ROOT, '.tmp', 'inbox-query-bench.json'), JSON.stringify(report, null, 2));
    process.stdout.write(`${JSON.stringify({ ...counts, fillS, loadAverage, results }, null, 2)}\n`);
  } finally {
    await client.end();
    if (!process.argv.includes('--keep')) await db.drop();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
