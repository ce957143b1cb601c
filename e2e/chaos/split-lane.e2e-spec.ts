import { generateApiKey } from '@gatehouse/identity';
import { Stack } from '../../tools/test-support/stack';
import { ChaosClient, StatusTally } from './support/chaos-client';
import { FaultLog } from './support/faults';
import { Rng, sleep } from './support/prng';
import { reportFigures } from './support/report';
import { SqlWatcher } from './support/sql-watcher';
import { verifyOutcome } from './support/verify';
import { ChaosWorkload } from './support/workload';

/**
 * DESIGN section 8, split lane: two gateways and two replicas each of runs, gates and escalation on
 * one Postgres and one NATS. Replies go to either gateway, the same reply to both at once; some gates
 * are left to time out so that both escalation replicas race for their timers; one gates replica is
 * killed mid-traffic. Afterwards: all runs terminal as decided, the oracle clean, every timer fired once.
 * Run twice: as the laptop lane (AUTH_MODE=off, open NATS) and as deploy/ runs it (AUTH_MODE=required,
 * every service on its own NATS user under deploy/nats/auth.conf, runs started by one key and answered
 * by another).
 */
describe.each(['off', 'required'] as const)(
  'split lane: 2 gateways, 2 replicas of each service (chaos, AUTH_MODE=%s)',
  (authMode) => {
    const rng = Rng.fromEnv();
    const tally = new StatusTally();
    const faults = new FaultLog();
    const bootstrapKey = generateApiKey();
    let stack: Stack;
    let watcher: SqlWatcher;
    /** Under `required`: who starts runs and who answers their gates (distinct principals). */
    let headersFor: (method: string, path: string) => Record<string, string> = () => ({});

    beforeAll(async () => {
      process.stdout.write(`[chaos] split-lane (AUTH_MODE=${authMode}) seed ${rng.seed}\n`);
      const required = authMode === 'required';
      stack = await Stack.start({
        name: `chaos-split-${authMode}`,
        gateways: 2,
        replicas: { runs: 2, gates: 2, escalation: 2 },
        natsAuth: required,
        env: {
          HITL_GATE_TIMEOUT_S: '10',
          SBX_MOCK_DELAY_MS: '100',
          RPC_TIMEOUT_MS: '3000',
          DB_POOL_MAX: '4',
          AUTH_MODE: authMode,
          ...(required ? { AUTH_BOOTSTRAP_ADMIN_KEY: bootstrapKey } : {}),
        },
      });
      if (required) {
        const requester = await mintKey(stack, bootstrapKey, 'chaos-requester');
        const approver = await mintKey(stack, bootstrapKey, 'chaos-approver');
        headersFor = (method, path) => ({
          authorization: `Bearer ${method === 'POST' && /^\/api\/(intents|runs)$/.test(path) ? requester : approver}`,
        });
      }
      watcher = new SqlWatcher(stack.db);
      watcher.start();
    }, 240_000);

    afterAll(async () => {
      watcher?.stop();
      await stack?.stop();
    }, 60_000);

    it('spreads replies over both gateways, fires each timer once, survives losing a replica', async () => {
      const client = new ChaosClient(stack.gatewayUrls(), rng, tally, undefined, headersFor);
      const workload = new ChaosWorkload(client, watcher, rng);
      const plans = Array.from({ length: 24 }, () =>
        workload.plan({ timeout: 0.25, reject: 0.3, duplicate: 0.7, maxReplyDelayMs: 2000 }),
      );
      const driving = Promise.all(
        plans.map(async (plan, i) => {
          await sleep(i * 100);
          return workload.drive(plan);
        }),
      );
      await sleep(rng.int(1000, 2500));
      await faults.killService(stack, 'gates', rng.int(0, 1), rng.int(300, 1000));
      const records = await driving;
      const timedOut = records.filter((r) => r.plan.decision === 'timeout');
      const verdict = await verifyOutcome(stack, watcher, records, tally, { settleMs: 90_000 });
      for (const r of timedOut.slice(0, 3)) await workload.replyAfterTimeout(r);

      // Both gateways answered replies; identical copies landed on both at once.
      expect(Object.keys(tally.byGateway).sort()).toEqual(['0', '1']);
      const timers = await stack.db.query<{ n: number; fired: number; escalations: number }>(
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE t.status = 'FIRED')::int AS fired,
              (SELECT count(*)::int FROM escalation.escalations) AS escalations
       FROM escalation.timers t`,
      );
      expect(timers[0]).toEqual({ n: records.length, fired: timedOut.length, escalations: timedOut.length });
      if (authMode === 'required') {
        // Every accepted reply was recorded as the approver key's principal, none as anonymous.
        const actors = await stack.db.query<{ actor: string | null }>(
          `SELECT DISTINCT actor FROM gates.human_interactions`,
        );
        expect(actors.map((a) => a.actor)).toEqual([expect.stringMatching(/^key:/)]);
      }
      reportFigures(`split-lane-${authMode}`, {
        seed: rng.seed,
        faults: faults.records,
        timersFired: timers[0].fired,
        bothGatewayCopies: records.filter((r) => r.plan.duplicates > 0 && r.plan.surface !== 'jetstream').length,
        ...verdict.figures,
        counters: workload.counters,
      });
      expect(workload.anomalies).toEqual([]);
      expect(verdict.problems).toEqual([]);
    }, 240_000);
  },
);

/** A key with a role that may decide the default policy's gates, made with the bootstrap admin key. */
async function mintKey(stack: Stack, adminKey: string, name: string): Promise<string> {
  const res = await fetch(`${stack.baseUrl}/api/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name, roles: ['operator'] }),
  });
  const body = (await res.json()) as { key?: string };
  if (res.status !== 201 || !body.key) throw new Error(`POST /api/keys -> ${res.status} ${JSON.stringify(body)}`);
  return body.key;
}
