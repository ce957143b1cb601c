import 'reflect-metadata';
import {
  DecidedBy,
  Decision,
  GateState,
  PLAN_GATE_KEY,
  rpc,
  subjects,
  type GateDecidedEvent,
  type StartRunResult,
} from '@gatehouse/contracts';
import { Metrics } from '@gatehouse/messaging';
import { eventually, RunsHarness } from './test/runs-harness';

/**
 * The runs service's fair queues in-process: a partition's own limit and the queue window hold while
 * child tasks run (sampled in SQL every few ms), the other partition uses the slots the capped one may
 * not, and the work-queue gauge reports what waits and what is in flight.
 */
describe('runs fair queues (integration)', () => {
  const WINDOW = 6;
  let h: RunsHarness;

  beforeAll(async () => {
    h = await RunsHarness.start('runs-fair', {
      SBX_MOCK_DELAY_MS: '60',
      SBXQ_WINDOW: String(WINDOW),
      PARTITION_LIMIT: '0',
      PARTITION_LIMITS: 'capped=2',
    });
  }, 60_000);

  afterAll(async () => {
    await h?.stop();
  }, 30_000);

  async function runAtGate(partition: string, steps: number): Promise<string> {
    const { intentId } = await h.call<{ intentId: string }>(rpc.runs.createIntent, {
      goal: 'fan out',
      inputs: {},
      constraints: {},
    });
    const started = await h.call<StartRunResult>(rpc.runs.startRun, {
      intentId,
      queueName: 'intentQ',
      queuePartitionKey: partition,
      recipeName: 'agent-plan',
      workload: { concurrency: steps, steps, sandboxMinutes: 1 },
    });
    expect(started.created).toBe(true);
    await eventually(
      async () =>
        (await h.db.query(`SELECT 1 FROM runs.runs WHERE id = $1 AND next_action = 'APPROVE_PLAN'`, [intentId])).length,
      `${partition} at its gate`,
    );
    return intentId;
  }

  function approve(wid: string): Promise<unknown> {
    const event: GateDecidedEvent = {
      workflowId: wid,
      gateKey: PLAN_GATE_KEY,
      rootGateKey: PLAN_GATE_KEY,
      state: GateState.RECEIVED,
      decision: Decision.APPROVE,
      by: DecidedBy.HUMAN,
      choice: 'yes',
      rationale: null,
      patch: null,
      actor: 'alice',
      escalatedTo: null,
      at: new Date().toISOString(),
    };
    return h.js.publish(subjects.gateDecided(wid, PLAN_GATE_KEY), JSON.stringify(event), {
      msgID: `gate-decided:${wid}:${PLAN_GATE_KEY}`,
    });
  }

  const gauge = async () => {
    const metric = await h.app.get(Metrics).registry.getSingleMetric('gatehouse_fair_queue_items')!.get();
    return Object.fromEntries(metric.values.map((v) => [`${v.labels.queue}/${v.labels.state}`, v.value]));
  };

  it('holds a partition to its own limit and the queue to its window, and lends the rest to others', async () => {
    const capped = await runAtGate('capped', 12);
    const free = await runAtGate('free', 12);
    let maxCapped = 0;
    let maxTotal = 0;
    let sawWaiting = false;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const rows = await h.db.query<{ partition_key: string; in_flight: number; waiting: number }>(
          `SELECT partition_key, count(*) FILTER (WHERE released_at IS NOT NULL)::int AS in_flight,
                  count(*) FILTER (WHERE released_at IS NULL)::int AS waiting
             FROM runs.work_queue WHERE queue = 'sbxQ' GROUP BY partition_key`,
        );
        maxCapped = Math.max(maxCapped, rows.find((r) => r.partition_key === 'capped')?.in_flight ?? 0);
        maxTotal = Math.max(
          maxTotal,
          rows.reduce((s, r) => s + r.in_flight, 0),
        );
        if (rows.some((r) => r.waiting > 0)) {
          sawWaiting = true;
          const g = await gauge();
          expect(g['sbxQ/waiting']).toBeGreaterThan(0);
          expect(g['sbxQ/in_flight']).toBeLessThanOrEqual(WINDOW);
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await Promise.all([approve(capped), approve(free)]);
    await eventually(
      async () =>
        (
          await h.db.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM runs.runs WHERE id = ANY($1::uuid[]) AND status = 'SUCCESS'`,
            [[capped, free]],
          )
        )[0].n === 2,
      'both runs to succeed',
      30_000,
    );
    sampling = false;
    await sampler;

    expect(sawWaiting).toBe(true);
    expect(maxCapped).toBe(2);
    expect(maxTotal).toBe(WINDOW);
    const artifacts = await h.db.query<{ run_id: string; n: number }>(
      `SELECT run_id, count(*)::int AS n FROM runs.artifacts WHERE run_id = ANY($1::uuid[]) GROUP BY run_id ORDER BY run_id`,
      [[capped, free]],
    );
    expect(artifacts.map((a) => a.n)).toEqual([12, 12]);
    await eventually(
      async () => (await h.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM runs.work_queue`))[0].n === 0,
      'the work queue to empty',
    );
    expect(await gauge()).toEqual({
      'intentQ/waiting': 0,
      'intentQ/in_flight': 0,
      'sbxQ/waiting': 0,
      'sbxQ/in_flight': 0,
    });
  }, 60_000);

  it('frees the slot of a message that is dead-lettered, in the dead-letter transaction', async () => {
    // Work that can never succeed (no such run), queued the way the service queues work.
    const msgId = `child:poison-${Date.now()}:0`;
    await h.db.query(
      `INSERT INTO runs.work_queue (queue, partition_key, msg_id, subject, payload, tag)
       VALUES ('sbxQ', 'poison', $1, 'q.sbxQ.poison', $2::jsonb, 1)`,
      [msgId, JSON.stringify({ runId: 'not-a-uuid', taskKey: 'task-0', idx: 0, sandboxMinutes: 1 })],
    );
    // The sweep releases it within a second; the consumer dead-letters it at once (poison).
    await eventually(
      async () => (await h.db.query(`SELECT 1 FROM runs.dead_letters WHERE msg_id = $1`, [msgId])).length === 1,
      'the poison message to be dead-lettered',
    );
    expect(await h.db.query(`SELECT 1 FROM runs.work_queue WHERE msg_id = $1`, [msgId])).toEqual([]);
  }, 30_000);
});
