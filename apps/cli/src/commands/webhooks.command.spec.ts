import { runCli } from '../program';
import { FixtureApi } from '../test/fixture-api';
import { memoryIo } from '../test/memory-io';

/** An endpoint as /api/webhooks answers it (DESIGN section 13); `secret` only on create and rotate. */
const HOOK = {
  id: 'b4c1e7d2-0000-4000-8000-000000000003',
  url: 'https://pager.example.com/hooks',
  events: ['gate.opened', 'gate.timed_out'],
  enabled: true,
  disabledReason: null,
  createdBy: 'admin-key',
  createdAt: '2026-12-06T07:00:00.000Z',
  updatedAt: '2026-12-06T07:00:00.000Z',
  previousSecretExpiresAt: null,
  deletedAt: null,
};

const DELIVERY = {
  id: '41',
  webhookId: 'gate-opened:6f1c:approve-plan',
  eventType: 'gate.opened',
  workflowId: '6f1c2a9e-0000-4000-8000-000000000001',
  status: 'DEAD',
  attempts: 9,
  nextAttemptAt: null,
  lastStatusCode: 500,
  lastError: 'HTTP 500',
  createdAt: '2026-12-06T07:10:00.000Z',
  deliveredAt: null,
  attemptLog: [],
};

describe('gatehouse webhooks (thin over /api/webhooks)', () => {
  let api: FixtureApi;
  const env = () => ({ GATEHOUSE_URL: api.url, GATEHOUSE_TOKEN: 'ghk_admin' });

  beforeAll(async () => {
    api = await FixtureApi.start();
  });
  afterEach(() => api.reset());
  afterAll(() => api.stop());

  it('lists endpoints as a table and as JSON', async () => {
    api.on('GET', '/api/webhooks', {
      status: 200,
      body: [HOOK, { ...HOOK, id: 'off', enabled: false, disabledReason: '410 Gone' }],
    });
    const io = memoryIo(env());
    expect(await runCli(['webhooks', 'list'], io)).toBe(0);
    expect(io.stdout[0]).toMatch(/^ID\s+URL\s+EVENTS\s+ENABLED$/);
    expect(io.stdout[1]).toMatch(
      new RegExp(`^${HOOK.id}\\s+https://pager.example.com/hooks\\s+gate.opened,gate.timed_out\\s+yes$`),
    );
    expect(io.stdout[2]).toMatch(/^off\s+.*\s+no \(410 Gone\)$/);
    const json = memoryIo(env());
    expect(await runCli(['webhooks', 'list', '--json'], json)).toBe(0);
    expect(JSON.parse(json.stdout[0])).toHaveLength(2);
  });

  it('creates an endpoint with its events and prints the secret once', async () => {
    api.on('POST', '/api/webhooks', { status: 201, body: { ...HOOK, secret: 'whsec_c2VjcmV0' } });
    const io = memoryIo(env());
    const args = ['webhooks', 'create', '--endpoint', HOOK.url, '--event', 'gate.opened', 'gate.timed_out'];
    expect(await runCli(args, io)).toBe(0);
    expect(api.requests[0].body).toEqual({ url: HOOK.url, events: ['gate.opened', 'gate.timed_out'] });
    expect(io.stdout).toEqual([`created webhook ${HOOK.id} -> ${HOOK.url}`, 'secret: whsec_c2VjcmV0']);
    expect(io.stderr).toContain('store the secret now: it is shown once');
  });

  it('rotates, redelivers, lists deliveries, disables and deletes by id', async () => {
    api
      .on('POST', `/api/webhooks/${HOOK.id}/rotate-secret`, {
        status: 200,
        body: { ...HOOK, secret: 'whsec_bmV3', previousSecretExpiresAt: '2026-12-07T07:00:00.000Z' },
      })
      .on('POST', `/api/webhooks/${HOOK.id}/redeliver`, (req) => ({
        status: 200,
        body: { redelivered: (req.body as any).deliveryId ? 1 : 3 },
      }))
      .on('GET', `/api/webhooks/${HOOK.id}/deliveries`, { status: 200, body: { items: [DELIVERY] } })
      .on('PATCH', `/api/webhooks/${HOOK.id}`, (req) => ({ status: 200, body: { ...HOOK, ...(req.body as object) } }))
      .on('DELETE', `/api/webhooks/${HOOK.id}`, {
        status: 200,
        body: { ...HOOK, deletedAt: '2026-12-06T08:00:00.000Z' },
      });

    const rotate = memoryIo(env());
    expect(await runCli(['webhooks', 'rotate', HOOK.id], rotate)).toBe(0);
    expect(rotate.stdout).toEqual([
      `rotated the secret of webhook ${HOOK.id}`,
      'secret: whsec_bmV3',
      'the previous secret also signs until 2026-12-07T07:00:00.000Z',
    ]);

    const all = memoryIo(env());
    expect(await runCli(['webhooks', 'redeliver', HOOK.id], all)).toBe(0);
    expect(all.stdout).toEqual(['3 deliveries queued again']);
    const one = memoryIo(env());
    expect(await runCli(['webhooks', 'redeliver', HOOK.id, '--delivery', '41', '--json'], one)).toBe(0);
    expect(JSON.parse(one.stdout[0])).toEqual({ redelivered: 1 });

    const deliveries = memoryIo(env());
    expect(await runCli(['webhooks', 'deliveries', HOOK.id, '--status', 'DEAD', '--limit', '20'], deliveries)).toBe(0);
    expect(deliveries.stdout[0]).toMatch(/^ID\s+EVENT\s+RUN\s+STATUS\s+ATTEMPTS\s+LAST CODE\s+CREATED$/);
    expect(deliveries.stdout[1]).toMatch(
      /^41\s+gate.opened\s+6f1c2a9e-0000-4000-8000-000000000001\s+DEAD\s+9\s+500\s+2026-12-06T07:10:00.000Z$/,
    );

    const disable = memoryIo(env());
    expect(await runCli(['webhooks', 'disable', HOOK.id], disable)).toBe(0);
    expect(disable.stdout).toEqual([`webhook ${HOOK.id} disabled`]);

    expect(await runCli(['webhooks', 'delete', HOOK.id], memoryIo(env()))).toBe(2); // no terminal, no --yes
    expect(await runCli(['webhooks', 'delete', HOOK.id, '--yes'], memoryIo(env()))).toBe(0);

    expect(api.requests.map((r) => [`${r.method} ${r.url.pathname}${r.url.search}`, r.body])).toEqual([
      [`POST /api/webhooks/${HOOK.id}/rotate-secret`, {}],
      [`POST /api/webhooks/${HOOK.id}/redeliver`, {}],
      [`POST /api/webhooks/${HOOK.id}/redeliver`, { deliveryId: '41' }],
      [`GET /api/webhooks/${HOOK.id}/deliveries?status=DEAD&limit=20`, undefined],
      [`PATCH /api/webhooks/${HOOK.id}`, { enabled: false }],
      [`DELETE /api/webhooks/${HOOK.id}`, undefined],
    ]);
  });

  it('escapes ids in paths, maps 404 to exit 3 and 400 to exit 2', async () => {
    const io = memoryIo(env());
    expect(await runCli(['webhooks', 'rotate', '../keys'], io)).toBe(3);
    expect(api.requests[0].url.pathname).toBe('/api/webhooks/..%2Fkeys/rotate-secret');

    api.on('POST', '/api/webhooks', {
      status: 400,
      body: { error: 'WEBHOOK_URL_REFUSED', message: 'the URL resolves to a private address' },
    });
    const refused = memoryIo(env());
    expect(
      await runCli(['webhooks', 'create', '--endpoint', 'http://10.0.0.1/', '--event', 'gate.opened'], refused),
    ).toBe(2);
    expect(refused.stderr).toEqual(['error: 400 WEBHOOK_URL_REFUSED: the URL resolves to a private address']);
  });
});
