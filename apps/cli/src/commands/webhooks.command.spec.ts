import { runCli } from '../program';
import { FixtureApi } from '../test/fixture-api';
import { memoryIo } from '../test/memory-io';

const HOOK = {
  id: 'b4c1e7d2-0000-4000-8000-000000000003',
  url: 'https://pager.example.com/hooks',
  events: ['gate.opened', 'gate.timed_out'],
  disabledAt: null,
  createdAt: '2026-12-06T07:00:00.000Z',
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
      body: [HOOK, { ...HOOK, id: 'off', disabledAt: '2026-12-06T07:30:00.000Z' }],
    });
    const io = memoryIo(env());
    expect(await runCli(['webhooks', 'list'], io)).toBe(0);
    expect(io.stdout[0]).toMatch(/^ID\s+URL\s+EVENTS\s+ENABLED$/);
    expect(io.stdout[1]).toMatch(
      new RegExp(`^${HOOK.id}\\s+https://pager.example.com/hooks\\s+gate.opened,gate.timed_out\\s+yes$`),
    );
    expect(io.stdout[2]).toMatch(/^off\s+.*\s+no$/);
    const json = memoryIo(env());
    expect(await runCli(['webhooks', 'list', '--json'], json)).toBe(0);
    expect(JSON.parse(json.stdout[0])).toHaveLength(2);
  });

  it('creates an endpoint with its events and prints the secret once', async () => {
    api.on('POST', '/api/webhooks', { status: 201, body: { ...HOOK, secret: 'whsec_c2VjcmV0' } });
    const io = memoryIo(env());
    expect(
      await runCli(['webhooks', 'create', '--endpoint', HOOK.url, '--event', 'gate.opened', 'gate.timed_out'], io),
    ).toBe(0);
    expect(api.requests[0].body).toEqual({ url: HOOK.url, events: ['gate.opened', 'gate.timed_out'] });
    expect(io.stdout).toEqual([`created webhook ${HOOK.id} -> ${HOOK.url}`, 'secret: whsec_c2VjcmV0']);
    expect(io.stderr).toContain('store the secret now: it is shown once');
  });

  it('rotates, redelivers, lists deliveries and deletes by id', async () => {
    api
      .on('POST', `/api/webhooks/${HOOK.id}/rotate-secret`, { status: 200, body: { ...HOOK, secret: 'whsec_bmV3' } })
      .on('POST', `/api/webhooks/${HOOK.id}/redeliver`, { status: 202, body: { ok: true, queued: 3 } })
      .on('GET', `/api/webhooks/${HOOK.id}/deliveries`, {
        status: 200,
        body: [
          {
            id: 'd1',
            eventType: 'gate.opened',
            status: 'DEAD',
            responseCode: 500,
            attempt: 9,
            createdAt: '2026-12-06T07:10:00.000Z',
          },
        ],
      })
      .on('DELETE', `/api/webhooks/${HOOK.id}`, { status: 200, body: { ...HOOK, deleted: true } });

    const rotate = memoryIo(env());
    expect(await runCli(['webhooks', 'rotate', HOOK.id], rotate)).toBe(0);
    expect(rotate.stdout).toEqual([`rotated the secret of webhook ${HOOK.id}`, 'secret: whsec_bmV3']);

    const redeliver = memoryIo(env());
    expect(await runCli(['webhooks', 'redeliver', HOOK.id, '--json'], redeliver)).toBe(0);
    expect(JSON.parse(redeliver.stdout[0])).toEqual({ ok: true, queued: 3 });

    const deliveries = memoryIo(env());
    expect(await runCli(['webhooks', 'deliveries', HOOK.id], deliveries)).toBe(0);
    expect(deliveries.stdout[1]).toMatch(/^d1\s+gate.opened\s+DEAD\s+500\s+9\s+2026-12-06T07:10:00.000Z$/);

    const del = memoryIo(env());
    expect(await runCli(['webhooks', 'delete', HOOK.id], del)).toBe(2); // no terminal, no --yes
    expect(await runCli(['webhooks', 'delete', HOOK.id, '--yes'], memoryIo(env()))).toBe(0);
    expect(api.requests.map((r) => `${r.method} ${r.url.pathname}`)).toEqual([
      `POST /api/webhooks/${HOOK.id}/rotate-secret`,
      `POST /api/webhooks/${HOOK.id}/redeliver`,
      `GET /api/webhooks/${HOOK.id}/deliveries`,
      `DELETE /api/webhooks/${HOOK.id}`,
    ]);
  });

  it('escapes ids in paths and maps 404 to exit 3', async () => {
    const io = memoryIo(env());
    expect(await runCli(['webhooks', 'rotate', '../keys'], io)).toBe(3);
    expect(api.requests[0].url.pathname).toBe('/api/webhooks/..%2Fkeys/rotate-secret');
  });
});
