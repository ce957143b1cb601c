import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runOracle } from '../../tools/oracle/run-oracle';
import { scratchDir } from '../../tools/test-support/paths';
import { Stack } from '../../tools/test-support/stack';
import { ChaosClient, StatusTally, type Response } from './support/chaos-client';
import { FaultLog } from './support/faults';
import { Rng, sleep } from './support/prng';
import { reportFigures } from './support/report';

const REQUIRED = 3;
const VOTERS = ['ana', 'ben', 'cho', 'dev', 'eve'];
const RUNS = 6;

/**
 * DESIGN sections 6 and 11 together: five principals vote `yes` at once on each of six 3-of-N gates,
 * every vote sent twice (an identical retry) and retried on connection errors and 503s with its dedupe
 * key, while a gates replica and a gateway are killed (-9) and restarted mid-vote. Afterwards every
 * gate counted exactly three distinct approvals, decided once, and the ledger, the votes, the decision
 * and the HTTP answers agree. AUTH_MODE=off: the voters are distinct `X-Gatehouse-Actor` principals.
 */
describe('concurrent votes on one gate under kills (chaos)', () => {
  const rng = Rng.fromEnv();
  const faults = new FaultLog();
  const tally = new StatusTally();
  let stack: Stack;
  let client: ChaosClient;

  beforeAll(async () => {
    process.stdout.write(`[chaos] quorum-votes seed ${rng.seed} (CHAOS_SEED=${rng.seed} replays it)\n`);
    const dir = scratchDir('chaos', `quorum-policy-${Date.now()}`);
    const policyFile = join(dir, 'gate-policy.yaml');
    writeFileSync(
      policyFile,
      stringify({
        riskLevels: { high: { requiredApprovals: REQUIRED } },
        recipes: { 'agent-plan': { 'approve-plan': { riskLevel: 'high' } } },
      }),
    );
    stack = await Stack.start({
      name: 'chaos-quorum',
      gateways: 2,
      replicas: { gates: 2 },
      env: { GATE_POLICY_FILE: policyFile, SBX_MOCK_DELAY_MS: '50', RPC_TIMEOUT_MS: '3000' },
    });
    client = new ChaosClient(stack.gatewayUrls(), rng, tally);
  }, 120_000);

  afterAll(async () => {
    if (faults.records.length) process.stdout.write(`[chaos] faults injected:\n${faults.summary()}\n`);
    await stack?.stop();
  }, 60_000);

  async function startRun(): Promise<string> {
    const intent = await client.post('/api/intents', { goal: 'quorum under faults', inputs: {}, constraints: {} });
    const run = await client.post('/api/runs', {
      intentId: intent.body.intentId,
      queueName: 'intentQ',
      queuePartitionKey: 'tenant-q',
      recipeName: 'agent-plan',
      workload: { concurrency: 2, steps: 2, sandboxMinutes: 1 },
    });
    expect(run.status).toBe(202);
    return run.body.workflowID;
  }

  async function gateOpen(wid: string): Promise<void> {
    const until = Date.now() + 30_000;
    while (Date.now() < until) {
      const g = await client.get(`/api/runs/${wid}/gates/approve-plan`);
      if (g.status === 200 && g.body.state === 'PENDING') return;
      await sleep(100);
    }
    throw new Error(`plan gate of ${wid} never opened`);
  }

  const vote = (wid: string, voter: string): Promise<Response> =>
    client.post(
      `/api/runs/${wid}/gates/approve-plan/reply`,
      { payload: { choice: 'yes' }, dedupeKey: `${voter}-${wid}` },
      { headers: { 'x-gatehouse-actor': voter } },
    );

  it('counts exactly N distinct approvals per gate and decides once, with gates and a gateway killed mid-vote', async () => {
    const wids = await Promise.all(Array.from({ length: RUNS }, () => startRun()));
    await Promise.all(wids.map(gateOpen));

    const answers: { wid: string; voter: string; res: Response }[] = [];
    const voting = Promise.all(
      wids.flatMap((wid) =>
        VOTERS.flatMap((voter) =>
          [0, 1].map(async (copy) => {
            // Spread over a few seconds, so that the kills land while most gates are still counting.
            await sleep(rng.int(0, 5000) + copy * rng.int(0, 300));
            answers.push({ wid, voter, res: await vote(wid, voter) });
          }),
        ),
      ),
    );
    await sleep(rng.int(300, 1500));
    await Promise.all([
      faults.killService(stack, 'gates', 0, rng.int(300, 1200)),
      faults.killService(stack, 'gateway', 0, rng.int(300, 1200)),
    ]);
    await voting;

    // Every answer is a vote (200) or, after the gate was decided, GATE_CLOSED; never anything else.
    const kinds = answers.map((a) => (a.res.status === 200 ? 'ok' : `${a.res.status} ${a.res.body?.error}`));
    expect(kinds.filter((k) => k !== 'ok' && k !== '409 GATE_CLOSED')).toEqual([]);
    expect(tally.serverErrors).toEqual([]);

    for (const wid of wids) {
      const until = Date.now() + 60_000;
      let run: Response | undefined;
      while (Date.now() < until) {
        run = await client.get(`/api/runs/${wid}`);
        if (run.body?.status === 'SUCCESS') break;
        await sleep(200);
      }
      expect(run?.body.status).toBe('SUCCESS');
      const votes = await stack.db.query<{ actor: string }>(
        `SELECT actor FROM gates.gate_votes WHERE workflow_id = $1 ORDER BY actor`,
        [wid],
      );
      const ledger = await stack.db.query<{ actor: string }>(
        `SELECT actor FROM gates.human_interactions WHERE workflow_id = $1 ORDER BY actor`,
        [wid],
      );
      const decisions = await stack.db.query<{ value: any }>(
        `SELECT value FROM gates.workflow_events WHERE workflow_id = $1 AND key = 'decision:approve-plan'`,
        [wid],
      );
      const [gate] = await stack.db.query<{ state: string; approval_count: number }>(
        `SELECT state, approval_count FROM gates.gates WHERE workflow_id = $1`,
        [wid],
      );
      expect(gate).toEqual({ state: 'RECEIVED', approval_count: REQUIRED });
      expect(votes).toHaveLength(REQUIRED);
      expect(ledger).toEqual(votes);
      expect(decisions).toHaveLength(1);
      const counted = decisions[0].value.votes.map((v: any) => v.actor).sort();
      expect(counted).toEqual(votes.map((v) => v.actor));
      // The voters answered 200 are exactly those counted; the others were told the gate had closed.
      const answeredOk = [
        ...new Set(answers.filter((a) => a.wid === wid && a.res.status === 200).map((a) => `actor:${a.voter}`)),
      ].sort();
      expect(answeredOk).toEqual(counted);
    }

    const oracle = await runOracle(stack.db.url);
    reportFigures('quorum-votes', {
      seed: rng.seed,
      pendingGatesAtKill: faults.records.map((f) => f.inFlight?.pendingGates),
      faults: faults.records,
      answers: answers.length,
      closed: kinds.filter((k) => k === '409 GATE_CLOSED').length,
      retriedRequests: tally,
    });
    expect(oracle.violations).toEqual(Object.fromEntries(Object.keys(oracle.violations).map((k) => [k, []])));
  }, 240_000);
});
