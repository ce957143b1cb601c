import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { generateApiKey } from '@gatehouse/identity';
import { scratchDir } from '../tools/test-support/paths';
import { Stack } from '../tools/test-support/stack';
import { Api } from './support/http';
import { rowCounts } from './support/row-counts';
import { planGateOpen, runReaches, startRun } from './support/scenario';

const secret = () => `whsec_${randomBytes(32).toString('base64')}`;

/** The external receiver's signed sources (DESIGN section 10) with AUTH_MODE=required. */
describe('signed sources on POST /api/events/hitl (e2e)', () => {
  const adminKey = generateApiKey();
  const pagerSecret = secret();
  const retiringSecret = secret();
  let stack: Stack;
  let api: Api;
  let admin: Api;

  beforeAll(async () => {
    const file = join(scratchDir('e2e'), `sources-${randomUUID()}.yaml`);
    writeFileSync(
      file,
      [
        'sources:',
        '  - id: pagerduty',
        `    secrets: ["${pagerSecret}", "${retiringSecret}"]`,
        '    roles: [operator]',
      ].join('\n'),
    );
    stack = await Stack.start({
      name: 'signed-sources',
      env: { AUTH_MODE: 'required', AUTH_BOOTSTRAP_ADMIN_KEY: adminKey, INGRESS_SOURCES_FILE: file },
    });
    api = new Api(stack.baseUrl);
    admin = new Api(stack.baseUrl, { authorization: `Bearer ${adminKey}` });
  }, 120_000);

  afterAll(() => stack?.stop());

  /** A receiver event for the run's plan gate, as a signed request's parts. */
  function signedEvent(
    wid: string,
    opts: { key?: string; at?: Date; msgId?: string; source?: string; actor?: string; dedupeKey?: string } = {},
  ) {
    const body = JSON.stringify({
      workflowId: wid,
      gateKey: 'approve-plan',
      topic: 'human:approve-plan',
      payload: { choice: 'yes', rationale: 'approved in PagerDuty' },
      dedupeKey: opts.dedupeKey ?? `pd-${wid}`,
      origin: 'pagerduty',
      actor: opts.actor ?? 'alice@example.com',
    });
    const msgId = opts.msgId ?? `msg_${randomUUID()}`;
    const at = opts.at ?? new Date();
    const headers = {
      'webhook-id': msgId,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(opts.key ?? pagerSecret).sign(msgId, at, body),
    };
    const send = () =>
      api.post(`/api/events/hitl?source=${opts.source ?? 'pagerduty'}`, undefined, { raw: body, headers });
    return { body, headers, send };
  }

  async function refusedWithoutWrites(send: () => Promise<{ status: number; body: any }>) {
    const before = await rowCounts(stack.db);
    const res = await send();
    expect([res.status, res.body.error]).toEqual([401, 'UNAUTHENTICATED']);
    expect(await rowCounts(stack.db)).toEqual(before);
  }

  let wid: string;
  beforeAll(async () => {
    wid = await startRun(admin);
    await planGateOpen(admin, wid);
  });

  it('refuses a bad signature, a stale timestamp, an unknown source and a missing signature, writing nothing', async () => {
    await refusedWithoutWrites(signedEvent(wid, { key: secret() }).send);
    await refusedWithoutWrites(signedEvent(wid, { at: new Date(Date.now() - 6 * 60_000) }).send);
    await refusedWithoutWrites(signedEvent(wid, { source: 'someone-else' }).send);
    // Judged before the body is read: an unknown source with a body over the size limit is 401, not 413.
    const unknown = signedEvent(wid, { source: 'someone-else' });
    await refusedWithoutWrites(() =>
      api.post('/api/events/hitl?source=someone-else', undefined, {
        raw: `{"pad":"${'x'.repeat(400 * 1024)}"}`,
        headers: unknown.headers,
      }),
    );
    const { body } = signedEvent(wid);
    await refusedWithoutWrites(() => api.post('/api/events/hitl?source=pagerduty', undefined, { raw: body }));
    // A signature over another body (the same headers on a tampered event).
    const tampered = signedEvent(wid);
    await refusedWithoutWrites(() =>
      api.post('/api/events/hitl?source=pagerduty', undefined, {
        raw: tampered.body.replace('"yes"', '"no"'),
        headers: tampered.headers,
      }),
    );
    // Good headers without the body they sign: no body is checked, so nothing is authenticated.
    const bodiless = signedEvent(wid);
    await refusedWithoutWrites(() =>
      api.post('/api/events/hitl?source=pagerduty', undefined, { headers: bodiless.headers }),
    );
    expect((await admin.get(`/api/runs/${wid}/gates/approve-plan`)).body.state).toBe('PENDING');
  });

  it('accepts a good one: the source is the principal and the person it relays for is onBehalfOf', async () => {
    const event = signedEvent(wid);
    const res = await event.send();
    expect([res.status, res.body]).toEqual([200, { ok: true, state: 'RECEIVED', duplicate: false }]);
    expect(
      await stack.db.query(`SELECT actor, on_behalf_of, origin FROM gates.human_interactions WHERE workflow_id = $1`, [
        wid,
      ]),
    ).toEqual([{ actor: 'source:pagerduty', on_behalf_of: 'alice@example.com', origin: 'pagerduty' }]);
    const gate = await admin.get(`/api/runs/${wid}/gates/approve-plan`);
    expect(gate.body.result).toMatchObject({ actor: 'source:pagerduty', onBehalfOf: 'alice@example.com' });
    await runReaches(admin, wid, 'SUCCESS');

    // A replayed delivery (same webhook-id, body and signature) is answered as a duplicate, writing nothing.
    const before = await rowCounts(stack.db);
    const replay = await api.post('/api/events/hitl?source=pagerduty', undefined, {
      raw: event.body,
      headers: event.headers,
    });
    expect([replay.status, replay.body]).toEqual([200, { ok: true, state: 'RECEIVED', duplicate: true }]);
    expect(await rowCounts(stack.db)).toEqual(before);
  });

  it('accepts a secret being retired during rotation', async () => {
    const other = await startRun(admin);
    await planGateOpen(admin, other);
    const res = await signedEvent(other, { key: retiringSecret }).send();
    expect(res.status).toBe(200);
    await runReaches(admin, other, 'SUCCESS');
  });
});
