import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { sysSubjects } from '@gatehouse/contracts';
import { CONSUMERS, STREAMS } from '@gatehouse/messaging';
import { runOracle } from '../tools/oracle/run-oracle';
import { Stack } from '../tools/test-support/stack';
import { Api, eventually } from './support/http';
import { planGateOpen, runReaches, startRun } from './support/scenario';

/**
 * Replies published on `human.<wid>.<g>`: a refused one is audited, announced on
 * `sys.gatehouse.rejected-reply` through the gates outbox, settled once and never redelivered.
 */
describe('bus ingress (e2e)', () => {
  let stack: Stack;
  let api: Api;
  let nc: NatsConnection;

  beforeAll(async () => {
    stack = await Stack.start({ name: 'bus-ingress' });
    api = new Api(stack.baseUrl);
    nc = await connect({ servers: stack.nats.url });
  }, 120_000);

  afterAll(async () => {
    await nc?.close();
    if (!stack) return;
    const report = await runOracle(stack.db.url);
    await stack.stop();
    expect(report.violations).toEqual(Object.fromEntries(Object.keys(report.violations).map((k) => [k, []])));
    expect(report.ok).toBe(true);
  }, 60_000);

  const sql = <T = any>(text: string, params: unknown[] = []) => stack.db.query<T>(text, params);

  it('announces a refused bus reply on sys.gatehouse.rejected-reply and never redelivers it', async () => {
    const wid = await startRun(api);
    await planGateOpen(api, wid);
    const received: Msg[] = [];
    const sub = nc.subscribe(sysSubjects.rejectedReply, {
      callback: (_err, msg) => {
        received.push(msg);
      },
    });
    await nc.flush();
    const announcementsFor = () => received.filter((m) => m.json<{ workflowId: string }>().workflowId === wid);

    const js = jetstream(nc);
    const subject = `human.${wid}.approve-plan`;
    const badChoice = JSON.stringify({ payload: { choice: 'maybe' }, dedupeKey: `bad-${wid}`, origin: 'ci-bot' });
    await js.publish(subject, badChoice, { msgID: `bad-1-${wid}` });
    await js.publish(subject, '{ not json', { msgID: `bad-2-${wid}` });
    await js.publish(
      `human.${wid}.no-such-gate`,
      JSON.stringify({ payload: { choice: 'yes' }, dedupeKey: `nogate-${wid}` }),
      {
        msgID: `bad-3-${wid}`,
      },
    );

    const announced = await eventually(
      async () => {
        const mine = announcementsFor();
        return mine.length >= 3 ? mine : undefined;
      },
      15_000,
      'three rejected-reply announcements',
    );
    const bodies = announced.map((m) => m.json<any>());
    expect(bodies).toEqual(
      expect.arrayContaining([
        {
          workflowId: wid,
          gateKey: 'approve-plan',
          dedupeKey: `bad-${wid}`,
          error: { error: 'INVALID_CHOICE', message: expect.any(String) },
          at: expect.any(String),
        },
        {
          workflowId: wid,
          gateKey: 'approve-plan',
          error: { error: 'INVALID_JSON', message: expect.any(String) },
          at: expect.any(String),
        },
        {
          workflowId: wid,
          gateKey: 'no-such-gate',
          dedupeKey: `nogate-${wid}`,
          error: { error: 'GATE_NOT_FOUND', message: expect.any(String) },
          at: expect.any(String),
        },
      ]),
    );
    // Deterministic message ids: a re-publish of the announcement is dropped by the stream.
    for (const m of announced) expect(m.headers?.get('Nats-Msg-Id')).toMatch(/^sys:rejected-reply:[a-f0-9]{64}$/);

    // The same bad message again (another Nats-Msg-Id) is settled but announced once only.
    await js.publish(subject, badChoice, { msgID: `bad-4-${wid}` });
    await eventually(
      async () => {
        const rows = await sql(`SELECT 1 FROM gates.inbox WHERE consumer = $1 AND msg_id = $2`, [
          CONSUMERS.gatesHumanIngress.durable,
          `bad-4-${wid}`,
        ]);
        return rows.length === 1 ? rows : undefined;
      },
      10_000,
      'the repeated message settled',
    );

    // Audited on the gate (the unknown gate gets no gate rows), nothing in the ledger.
    const audit = await sql<{ error: string; n: number }>(
      `SELECT value->'detail'->>'error' AS error, count(*)::int AS n FROM gates.workflow_events
       WHERE workflow_id = $1 AND key = 'ui:approve-plan:audit' AND value->>'outcome' = 'rejected_message'
       GROUP BY 1 ORDER BY 1`,
      [wid],
    );
    expect(audit).toEqual([
      { error: 'INVALID_CHOICE', n: 1 },
      { error: 'INVALID_JSON', n: 1 },
    ]);
    expect(await sql(`SELECT count(*)::int AS n FROM gates.gates WHERE workflow_id = $1`, [wid])).toEqual([{ n: 1 }]);
    expect(await sql(`SELECT count(*)::int AS n FROM gates.human_interactions WHERE workflow_id = $1`, [wid])).toEqual([
      { n: 0 },
    ]);

    // Settled once each: in the inbox, not dead-lettered, nothing pending or redelivered on the consumer.
    const inbox = await sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM gates.inbox WHERE consumer = $1 AND msg_id LIKE $2`,
      [CONSUMERS.gatesHumanIngress.durable, `bad-%-${wid}`],
    );
    expect(inbox).toEqual([{ n: 4 }]);
    expect(await sql(`SELECT count(*)::int AS n FROM gates.dead_letters`)).toEqual([{ n: 0 }]);
    const jsm = await jetstreamManager(nc);
    const info = await eventually(
      async () => {
        const i = await jsm.consumers.info(STREAMS.human.name, CONSUMERS.gatesHumanIngress.durable);
        return i.num_pending === 0 && i.num_ack_pending === 0 ? i : undefined;
      },
      10_000,
      'human ingress consumer drained',
    );
    expect(info.num_redelivered).toBe(0);

    await new Promise((r) => setTimeout(r, 1_000));
    expect(announcementsFor()).toHaveLength(3);
    expect(
      await sql(
        `SELECT count(*)::int AS n, count(published_at)::int AS published FROM gates.outbox WHERE subject = $1 AND payload->>'workflowId' = $2`,
        [sysSubjects.rejectedReply, wid],
      ),
    ).toEqual([{ n: 3, published: 3 }]);
    sub.unsubscribe();

    // The gate still takes a good reply, and the run goes on.
    await js.publish(
      subject,
      JSON.stringify({ payload: { choice: 'yes' }, dedupeKey: `good-${wid}`, origin: 'ci-bot' }),
      {
        msgID: `good-${wid}`,
      },
    );
    await runReaches(api, wid, 'SUCCESS');
    expect(await sql(`SELECT dedupe_key, origin FROM gates.human_interactions WHERE workflow_id = $1`, [wid])).toEqual([
      { dedupe_key: `good-${wid}`, origin: 'ci-bot' },
    ]);
  });
});
