import { randomUUID } from 'node:crypto';
import { Stack } from '../../tools/test-support/stack';
import { WebhookReceiver, type ReceivedWebhook } from '../../tools/test-support/webhook-receiver';
import { Api, eventually } from '../support/http';
import { planGateOpen, startRun } from '../support/scenario';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * DESIGN sections 6 and 13 under faults: kill -9 the escalation service while it delivers, and take
 * the receiver down, while real runs open gates, are approved or time out and finish. Afterwards
 * every fact the services recorded reached the receiver at least once with a valid signature, and
 * every copy of a fact carries the same `webhook-id` (what receivers deduplicate on).
 */
describe('webhook delivery under kill -9 and receiver outages (chaos)', () => {
  const receiver = new WebhookReceiver();
  let stack: Stack;
  let api: Api;

  beforeAll(async () => {
    await receiver.start();
    stack = await Stack.start({
      name: 'chaos-webhooks',
      env: {
        WEBHOOK_ALLOW_PRIVATE: 'true',
        WEBHOOK_SECRET_KEY: 'chaos-test-webhook-key-0123456789abcdef',
        // Long enough in total (about 30 s) to outlast every outage below.
        WEBHOOK_RETRY_SCHEDULE_S: '0.5,1,1,2,2,3,3,3,3,3,3,3',
        WEBHOOK_RESCAN_MS: '200',
        WEBHOOK_TIMEOUT_MS: '2000',
        HITL_GATE_TIMEOUT_S: '10',
        SBX_MOCK_DELAY_MS: '50',
      },
    });
    api = new Api(stack.baseUrl);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await receiver.stop();
  }, 60_000);

  it('delivers every fact at least once, every copy with the same webhook-id', async () => {
    const created = await api.post('/api/webhooks', {
      url: receiver.url('/chaos'),
      events: ['gate.opened', 'gate.decided', 'gate.timed_out', 'gate.escalated', 'gate.cancelled', 'run.finished'],
    });
    expect(created.status).toBe(201);
    receiver.trust('/chaos', created.body.secret);
    // Slow and sometimes failing, so that kills land mid-delivery.
    receiver.answer('/chaos', (n) => (n % 7 === 0 ? { status: 503 } : { status: 200, delayMs: 300 }));

    const wids = await Promise.all(Array.from({ length: 12 }, () => startRun(api, { recipeName: 'compile-default' })));
    await Promise.all(wids.map((wid) => planGateOpen(api, wid)));
    const killer = (async () => {
      // Kill while deliveries are queued and being sent, not after.
      const pending = await eventually(
        async () => {
          const [{ n }] = await stack.db.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM escalation.webhook_deliveries WHERE status = 'PENDING'`,
          );
          return receiver.received.length >= 3 && n >= 3 ? n : undefined;
        },
        20_000,
        'deliveries under way',
      );
      await stack.kill('escalation');
      process.stdout.write(`[chaos] escalation killed with ${pending} deliveries pending\n`);
      await sleep(500);
      await stack.restartAndWait('escalation');
      await receiver.stop();
      await sleep(3000);
      await receiver.start(receiver.listeningPort);
      await sleep(1500);
      await stack.kill('escalation');
      await sleep(300);
      await stack.restartAndWait('escalation');
    })();
    // Half are approved while the faults happen; the other half time out (HITL_GATE_TIMEOUT_S).
    for (const wid of wids.slice(0, 6)) {
      const reply = await api.post(`/api/runs/${wid}/gates/approve-plan/reply`, {
        payload: { choice: 'yes', rationale: 'ok' },
        dedupeKey: `chaos-${randomUUID()}`,
      });
      expect(reply.status).toBe(200);
      await sleep(400);
    }
    await killer;

    // What the services recorded: the truth the deliveries must match.
    const terminal = ['SUCCESS', 'ERROR', 'CANCELLED', 'MAX_RECOVERY_ATTEMPTS_EXCEEDED'];
    await eventually(
      async () => {
        const rows = await stack.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM runs.runs WHERE id = ANY ($1::uuid[]) AND status = ANY ($2::text[])`,
          [wids, terminal],
        );
        return rows[0].n === wids.length ? true : undefined;
      },
      60_000,
      'every run terminal',
    );
    const gates = await stack.db.query<{ workflow_id: string; gate_key: string; state: string }>(
      `SELECT workflow_id::text, gate_key, state FROM gates.gates WHERE workflow_id = ANY ($1::uuid[])`,
      [wids],
    );
    const expected = new Set<string>();
    for (const gate of gates) {
      expected.add(`gate.opened ${gate.workflow_id} ${gate.gate_key}`);
      if (gate.state === 'RECEIVED') expected.add(`gate.decided ${gate.workflow_id} ${gate.gate_key}`);
      if (gate.state === 'TIMED_OUT') expected.add(`gate.timed_out ${gate.workflow_id} ${gate.gate_key}`);
      if (gate.state === 'CANCELLED') expected.add(`gate.cancelled ${gate.workflow_id} ${gate.gate_key}`);
    }
    for (const wid of wids) expected.add(`run.finished ${wid} -`);
    expect(gates.filter((g) => g.state === 'RECEIVED')).toHaveLength(6);
    expect(gates.filter((g) => g.state === 'TIMED_OUT')).toHaveLength(6);

    const keyOf = (r: ReceivedWebhook) => {
      const data = r.payload.data as { workflowId?: string; workflowID?: string; gateKey?: string };
      return `${r.payload.type} ${data.workflowId ?? data.workflowID} ${data.gateKey ?? '-'}`;
    };
    const accepted = () => receiver.on('/chaos').filter((r) => r.status === 200 && r.verifiedBy.length === 1);
    await eventually(
      async () => {
        const got = new Set(accepted().map(keyOf));
        return [...expected].every((k) => got.has(k)) ? true : undefined;
      },
      90_000,
      'every fact delivered',
    );

    const all = receiver.on('/chaos');
    // Every request was signed with the endpoint's secret.
    expect(all.filter((r) => r.verifiedBy.length !== 1)).toEqual([]);
    // One fact, one webhook-id, one body: duplicates are recognisable as such.
    const idsByFact = new Map<string, Set<string>>();
    const bodiesById = new Map<string, Set<string>>();
    for (const r of all) {
      idsByFact.set(keyOf(r), (idsByFact.get(keyOf(r)) ?? new Set()).add(r.webhookId));
      bodiesById.set(r.webhookId, (bodiesById.get(r.webhookId) ?? new Set()).add(r.body));
    }
    for (const [fact, ids] of idsByFact) expect([fact, ids.size]).toEqual([fact, 1]);
    for (const [id, bodies] of bodiesById) expect([id, bodies.size]).toEqual([id, 1]);
    const duplicates = all.length - bodiesById.size;
    process.stdout.write(
      `[chaos] webhooks: ${expected.size} facts, ${all.length} requests, ${duplicates} repeats (retries and redeliveries)\n`,
    );

    // SQL agrees: nothing dead-lettered, nothing left pending.
    const byStatus = await eventually(
      async () => {
        const rows = await stack.db.query<{ status: string; n: number }>(
          `SELECT status, count(*)::int AS n FROM escalation.webhook_deliveries GROUP BY status`,
        );
        return rows.every((r) => r.status === 'DELIVERED') ? rows : undefined;
      },
      30_000,
      'every delivery DELIVERED',
    );
    expect(byStatus).toEqual([{ status: 'DELIVERED', n: expected.size }]);
  }, 300_000);
});
