import { randomUUID } from 'node:crypto';
import { generateApiKey } from '@gatehouse/identity';
import { Stack } from '../tools/test-support/stack';
import { WebhookReceiver } from '../tools/test-support/webhook-receiver';
import { Api, bearer } from './support/http';

/**
 * The admin routes of DESIGN section 13 over real HTTP, AUTH_MODE=required: admin only, every
 * refusal a stable code that writes nothing, every answer checked against the OpenAPI document.
 * (Deliveries themselves: the escalation integration tests and the webhook chaos test.)
 */
describe('webhooks admin API (e2e, AUTH_MODE=required)', () => {
  const bootstrapKey = generateApiKey();
  const receiver = new WebhookReceiver();
  let stack: Stack;
  let admin: Api;
  let operator: Api;
  let anon: Api;

  beforeAll(async () => {
    await receiver.start();
    stack = await Stack.start({
      name: 'webhooks-api',
      env: { AUTH_MODE: 'required', AUTH_BOOTSTRAP_ADMIN_KEY: bootstrapKey, WEBHOOK_ALLOW_PRIVATE: 'true' },
    });
    admin = new Api(stack.baseUrl, bearer(bootstrapKey));
    anon = new Api(stack.baseUrl);
    const made = await admin.post('/api/keys', { name: 'ops', roles: ['operator'] });
    expect(made.status).toBe(201);
    operator = new Api(stack.baseUrl, bearer(made.body.key));
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await receiver.stop();
  }, 60_000);

  const endpointCount = async () =>
    (await stack.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM escalation.webhook_endpoints`))[0].n;

  it('registers, lists, rotates, pages deliveries, redelivers and deletes an endpoint; the secret is shown only when made', async () => {
    const created = await admin.post('/api/webhooks', {
      url: receiver.url('/pager'),
      events: ['gate.opened', 'run.finished'],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      url: receiver.url('/pager'),
      events: ['gate.opened', 'run.finished'],
      enabled: true,
      createdBy: expect.any(String),
    });
    expect(created.body.secret).toMatch(/^whsec_/);
    const id = created.body.id;

    const listed = await admin.get('/api/webhooks');
    expect(listed.status).toBe(200);
    expect(listed.body.map((e: { id: string }) => e.id)).toContain(id);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.secret);

    const rotated = await admin.post(`/api/webhooks/${id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(created.body.secret);
    expect(rotated.body.previousSecretExpiresAt).not.toBeNull();

    const deliveries = await admin.get(`/api/webhooks/${id}/deliveries?status=DEAD&limit=10`);
    expect(deliveries).toMatchObject({ status: 200, body: { items: [] } });
    const redeliver = await admin.post(`/api/webhooks/${id}/redeliver`, {});
    expect(redeliver).toMatchObject({ status: 202, body: { redelivered: 0 } });
    // No body at all means the same: every dead letter.
    const bare = await admin.post(`/api/webhooks/${id}/redeliver`);
    expect(bare).toMatchObject({ status: 202, body: { redelivered: 0 } });

    const paused = await admin.request('PATCH', `/api/webhooks/${id}`, { enabled: false });
    expect(paused).toMatchObject({ status: 200, body: { enabled: false } });

    const deleted = await admin.request('DELETE', `/api/webhooks/${id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body.deletedAt).not.toBeNull();
    expect((await admin.get(`/api/webhooks/${id}/deliveries`)).body.error).toBe('WEBHOOK_NOT_FOUND');
  });

  it.each([
    ['a URL that is not http(s)', { url: 'ftp://example.com/x', events: ['gate.opened'] }, 'VALIDATION_FAILED'],
    ['an unknown event type', { url: 'https://example.com/x', events: ['gate.exploded'] }, 'VALIDATION_FAILED'],
    ['no events', { url: 'https://example.com/x', events: [] }, 'VALIDATION_FAILED'],
    [
      'an unknown field',
      { url: 'https://example.com/x', events: ['gate.opened'], secret: 'mine' },
      'VALIDATION_FAILED',
    ],
  ])('refuses %s with 400 and registers nothing', async (_what, body, code) => {
    const before = await endpointCount();
    const res = await admin.post('/api/webhooks', body);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe(code);
    expect(await endpointCount()).toBe(before);
  });

  it.each([
    ['GET', `/api/webhooks/${randomUUID()}/deliveries`, undefined, 404, 'WEBHOOK_NOT_FOUND'],
    ['POST', `/api/webhooks/${randomUUID()}/rotate-secret`, undefined, 404, 'WEBHOOK_NOT_FOUND'],
    ['DELETE', '/api/webhooks/not-a-uuid', undefined, 404, 'WEBHOOK_NOT_FOUND'],
    ['GET', `/api/webhooks/${randomUUID()}/deliveries?status=LOST`, undefined, 400, 'VALIDATION_FAILED'],
    ['GET', `/api/webhooks/${randomUUID()}/deliveries?limit=0`, undefined, 400, 'VALIDATION_FAILED'],
    ['POST', `/api/webhooks/${randomUUID()}/redeliver`, { deliveryId: 'x' }, 400, 'VALIDATION_FAILED'],
  ])('%s %s with %j answers %i %s', async (method, path, body, status, code) => {
    const res = await admin.request(method, path, body);
    expect(res.status).toBe(status);
    expect(res.body.error).toBe(code);
  });

  it('is for admins only: 403 FORBIDDEN for an operator, 401 without a credential, nothing written', async () => {
    const before = await endpointCount();
    const body = { url: receiver.url('/x'), events: ['gate.opened'] };
    const forbidden = await operator.post('/api/webhooks', body);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error).toBe('FORBIDDEN');
    expect((await operator.get('/api/webhooks')).status).toBe(403);
    const unauthenticated = await anon.post('/api/webhooks', body);
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.body.error).toBe('UNAUTHENTICATED');
    expect(await endpointCount()).toBe(before);
  });
});
