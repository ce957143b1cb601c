import { jetstream } from '@nats-io/jetstream';
import { connect, headers as natsHeaders, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { sysSubjects } from '@gatehouse/contracts';
import { generateApiKey } from '@gatehouse/identity';
import { Stack } from '../tools/test-support/stack';
import { Api, eventually } from './support/http';
import { planGateOpen, runReaches, startRun } from './support/scenario';

/**
 * Replies on `human.<wid>.<g>` under AUTH_MODE=required (DESIGN section 10): the credential rides in
 * an `Authorization` header and is judged like HTTP; without a valid one the reply is refused,
 * audited, announced on `sys.gatehouse.rejected-reply`, and never applied.
 */
describe('bus ingress with AUTH_MODE=required (e2e)', () => {
  const adminKey = generateApiKey();
  let stack: Stack;
  let admin: Api;
  let nc: NatsConnection;
  const announced: Msg[] = [];

  beforeAll(async () => {
    stack = await Stack.start({
      name: 'bus-auth',
      env: { AUTH_MODE: 'required', AUTH_BOOTSTRAP_ADMIN_KEY: adminKey },
    });
    admin = new Api(stack.baseUrl, { authorization: `Bearer ${adminKey}` });
    nc = await connect({ servers: stack.nats.url });
    nc.subscribe(sysSubjects.rejectedReply, {
      callback: (_err, msg) => {
        announced.push(msg);
      },
    });
    await nc.flush();
  }, 120_000);

  afterAll(async () => {
    await nc?.close();
    await stack?.stop();
  });

  async function publish(wid: string, dedupeKey: string, authorization?: string): Promise<void> {
    const h = natsHeaders();
    if (authorization !== undefined) h.set('Authorization', authorization);
    const body = JSON.stringify({ payload: { choice: 'yes' }, dedupeKey, origin: 'ci-bot' });
    await jetstream(nc).publish(`human.${wid}.approve-plan`, body, { msgID: `${dedupeKey}-msg`, headers: h });
  }

  const ledgerOf = (wid: string) =>
    stack.db.query(`SELECT actor, dedupe_key FROM gates.human_interactions WHERE workflow_id = $1`, [wid]);

  /** Waits for the refusal's announcement and audit entry; proves the gate is untouched. */
  async function refused(wid: string, dedupeKey: string): Promise<void> {
    const announcement = await eventually(
      async () => announced.map((m) => m.json<any>()).find((a) => a.dedupeKey === dedupeKey),
      15_000,
      `announcement of ${dedupeKey}`,
    );
    expect(announcement).toMatchObject({
      workflowId: wid,
      gateKey: 'approve-plan',
      error: { error: 'UNAUTHENTICATED', message: expect.any(String) },
    });
    const audit = await stack.db.query<{ value: any }>(
      `SELECT value FROM gates.workflow_events
       WHERE workflow_id = $1 AND key = 'ui:approve-plan:audit' AND value->>'outcome' = 'rejected_message'
         AND value->>'dedupeKey' = $2`,
      [wid, dedupeKey],
    );
    expect(audit.map((a) => a.value.detail.error)).toEqual(['UNAUTHENTICATED']);
    expect(await ledgerOf(wid)).toEqual([]);
    expect((await admin.get(`/api/runs/${wid}/gates/approve-plan`)).body.state).toBe('PENDING');
  }

  it('refuses a reply without a credential, with a wrong one and with a revoked key; applies a good one', async () => {
    const wid = await startRun(admin);
    await planGateOpen(admin, wid);

    await publish(wid, `none-${wid}`);
    await refused(wid, `none-${wid}`);
    await publish(wid, `wrong-${wid}`, `Bearer ${generateApiKey()}`);
    await refused(wid, `wrong-${wid}`);
    await publish(wid, `junk-${wid}`, 'Basic Ym90OmJvdA==');
    await refused(wid, `junk-${wid}`);

    const made = await admin.post('/api/keys', { name: 'bus-bot', roles: ['operator'] });
    const revoked = await admin.post('/api/keys', { name: 'old-bot', roles: ['operator'] });
    expect((await admin.request('DELETE', `/api/keys/${revoked.body.id}`)).status).toBe(200);
    await publish(wid, `revoked-${wid}`, `Bearer ${revoked.body.key}`);
    await refused(wid, `revoked-${wid}`);

    await publish(wid, `good-${wid}`, `Bearer ${made.body.key}`);
    await eventually(async () => ((await ledgerOf(wid)).length === 1 ? true : undefined), 15_000, 'the good reply');
    expect(await ledgerOf(wid)).toEqual([{ actor: `key:${made.body.id}`, dedupe_key: `good-${wid}` }]);
    await runReaches(admin, wid, 'SUCCESS');
  });
});
