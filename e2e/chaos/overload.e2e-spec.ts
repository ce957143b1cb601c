import { readFileSync } from 'node:fs';
import { Stack } from '../../tools/test-support/stack';
import { ChaosClient, StatusTally } from './support/chaos-client';
import { Rng } from './support/prng';
import { reportFigures } from './support/report';
import { SqlWatcher } from './support/sql-watcher';
import { verifyOutcome } from './support/verify';
import { ChaosWorkload, type RunPlan, type RunRecord } from './support/workload';

const BURST_REQUESTS = 1200;
const BURST_CONCURRENCY = 96;
const POOL = 2;
const LONG_POLL_CAP = 20;

/**
 * DESIGN section 4: under bounded high concurrency against a small pool (DB_POOL_MAX=2 per process,
 * a private Postgres with max_connections=16) the gateway answers 4xx or 503 with Retry-After, never
 * another 5xx, and Postgres never refuses a connection (53300). Then the system drains what it
 * accepted: every run it took finishes, the oracle is clean.
 */
describe('overload: small pool, high concurrency (chaos)', () => {
  const rng = Rng.fromEnv();
  let stack: Stack;
  let watcher: SqlWatcher;

  beforeAll(async () => {
    stack = await Stack.start({
      name: 'chaos-overload',
      privatePostgres: { maxConnections: 16 },
      env: {
        DB_POOL_MAX: String(POOL),
        RPC_TIMEOUT_MS: '1500',
        LONG_POLL_MAX_WAITERS: String(LONG_POLL_CAP),
        SBX_MOCK_DELAY_MS: '20',
      },
    });
    watcher = new SqlWatcher(stack.db, 500);
    watcher.start();
  }, 120_000);

  afterAll(async () => {
    watcher?.stop();
    await stack?.stop();
  }, 60_000);

  it('answers 503 with Retry-After when saturated, never 500 or 53300, and drains afterwards', async () => {
    const raw = new StatusTally();
    // No retries during the burst: every answer counts as the server gave it.
    const once = new ChaosClient(stack.gatewayUrls(), rng, raw, 0);
    const accepted: string[] = [];
    const replied = new Set<string>();
    const plan = (): RunPlan => ({
      decision: 'approve',
      surface: 'rest',
      duplicates: 0,
      drift: false,
      late: false,
      replyDelayMs: 0,
      steps: 2,
      concurrency: 2,
      partition: rng.pick(['p1', 'p2']),
    });
    const plans = new Map<string, RunPlan>();
    const oneRequest = async (): Promise<void> => {
      const wid = accepted.length ? rng.pick(accepted) : undefined;
      const r = rng.next();
      const call = async () => {
        if (!wid || r < 0.3) {
          const intent = await once.post('/api/intents', { goal: 'overload', inputs: {}, constraints: {} });
          if (intent.status !== 201) return;
          const p = plan();
          const run = await once.post('/api/runs', {
            intentId: intent.body.intentId,
            queueName: 'intentQ',
            queuePartitionKey: p.partition,
            recipeName: 'agent-plan',
            workload: { concurrency: p.concurrency, steps: p.steps, sandboxMinutes: 1 },
          });
          if (run.status === 202) {
            accepted.push(run.body.workflowID);
            plans.set(run.body.workflowID, p);
          }
        } else if (r < 0.55) await once.get(`/api/runs/${wid}`);
        else if (r < 0.75) await once.get(`/api/runs/${wid}/gates`);
        else if (r < 0.85) await once.get(`/api/runs/${wid}/gates/approve-plan`);
        else {
          const res = await once.post(`/api/runs/${wid}/gates/approve-plan/reply`, {
            payload: { choice: 'yes', rationale: `ok ${wid.slice(0, 8)}` },
            dedupeKey: `human-${wid}`,
          });
          if (res.status === 200) replied.add(wid);
        }
      };
      await call().catch(() => undefined); // a deadline of 0: a connection error or 503 is just counted
    };
    let issued = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: BURST_CONCURRENCY }, async () => {
        while (issued < BURST_REQUESTS) {
          issued++;
          await oneRequest();
        }
      }),
    );
    const burstMs = Date.now() - started;

    // Everything the gateway accepted must finish: from here on the client retries, as clients do.
    const tally = new StatusTally();
    const workload = new ChaosWorkload(new ChaosClient(stack.gatewayUrls(), rng, tally), watcher, rng);

    // A deterministic saturation: more long-polls than LONG_POLL_MAX_WAITERS on a gate that stays PENDING.
    const target = await workload.start(plan());
    await watcher.waitGate(target.wid, 60_000);
    const pollTally = new StatusTally();
    const pollClient = new ChaosClient(stack.gatewayUrls(), rng, pollTally, 0);
    const polls = await Promise.all(
      Array.from({ length: LONG_POLL_CAP + 10 }, () =>
        pollClient
          .get(`/api/runs/${target.wid}/gates/approve-plan?timeoutS=3`)
          .catch((err: Error) => ({ status: 0, body: String(err), headers: new Headers() })),
      ),
    );
    const overloaded = polls.filter((p) => p.status === 0 || p.status === 503);
    expect(pollTally.counts['503'] ?? 0).toBeGreaterThanOrEqual(10);
    expect(pollTally.without503RetryAfter).toEqual([]);
    expect(pollTally.serverErrors).toEqual([]);

    const records: RunRecord[] = [...accepted.map((wid) => ({ wid, plan: plans.get(wid)!, okAnswers: [] })), target];
    await Promise.all(records.map((r) => workload.answer(r)));
    const verdict = await verifyOutcome(stack, watcher, records, tally, { settleMs: 120_000 });

    const pgLog = readFileSync(stack.postgres!.logFile, 'utf8');
    const serviceLogs = stack.processes.map((p) => stack.log(p.service, p.index)).join('\n');
    const refused =
      (pgLog.match(/too many clients/g) ?? []).length +
      (serviceLogs.match(/too many clients|"code":"53300"/g) ?? []).length; // not a bare 53300: timestamps contain it
    reportFigures('overload', {
      seed: rng.seed,
      pool: POOL,
      maxConnections: 16,
      burst: { requests: BURST_REQUESTS, concurrency: BURST_CONCURRENCY, ms: burstMs, statuses: raw.counts },
      longPolls: { sent: polls.length, cap: LONG_POLL_CAP, statuses: pollTally.counts, overloaded: overloaded.length },
      runsAccepted: accepted.length,
      repliedDuringBurst: replied.size,
      refusedConnections: refused,
      ...verdict.figures,
    });
    expect(raw.serverErrors).toEqual([]);
    expect(raw.without503RetryAfter).toEqual([]);
    expect(Object.keys(raw.counts).filter((s) => /^5/.test(s) && s !== '503')).toEqual([]);
    expect(refused).toBe(0);
    expect(workload.anomalies).toEqual([]);
    expect(verdict.problems).toEqual([]);
  }, 300_000);
});
