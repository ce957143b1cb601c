import { randomUUID } from 'node:crypto';
import { generateApiKey } from '@gatehouse/identity';
import { Stack } from '../../tools/test-support/stack';
import { Api, bearer } from '../support/http';
import { rowCounts } from '../support/row-counts';
import { planGateOpen, startRun } from '../support/scenario';

/** Reads server-sent `data:` lines from a fetch body until `until` is satisfied or the time is up. */
async function readFeed(res: Response, until: (events: any[]) => boolean, timeoutMs = 20_000): Promise<any[]> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const events: any[] = [];
  let buffered = '';
  const deadline = Date.now() + timeoutMs;
  while (!until(events)) {
    if (Date.now() > deadline) throw new Error(`feed: timed out with ${JSON.stringify(events)}`);
    const { value, done } = await reader.read();
    if (done) break;
    buffered += decoder.decode(value, { stream: true });
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.startsWith('data: ')) events.push(JSON.parse(line.slice(6)));
  }
  await reader.cancel();
  return events;
}

/** The routes the console reads besides the core API: who am I, a gate's history, the gate feed. */
describe('console routes (e2e, AUTH_MODE=required)', () => {
  const adminKey = generateApiKey();
  let stack: Stack;
  let admin: Api;
  let anon: Api;

  beforeAll(async () => {
    stack = await Stack.start({
      name: 'console-routes',
      env: { AUTH_MODE: 'required', AUTH_BOOTSTRAP_ADMIN_KEY: adminKey },
    });
    admin = new Api(stack.baseUrl, bearer(adminKey));
    anon = new Api(stack.baseUrl);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('GET /api/whoami names the principal and its roles; without a credential it is 401', async () => {
    const me = await admin.get('/api/whoami');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ kind: 'key', name: 'bootstrap', roles: ['admin'], authMode: 'required' });
    expect(me.body.id).toMatch(/^key:/);
    const refused = await anon.get('/api/whoami');
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe('UNAUTHENTICATED');
  });

  it("GET .../gates/:g/history gives the gate's audit trail and ledger rows, oldest first", async () => {
    // Started by another principal: the admin may not approve its own run.
    const requester = (await admin.post('/api/keys', { name: 'history-requester', roles: ['operator'] })).body;
    const wid = await startRun(new Api(stack.baseUrl, bearer(requester.key)));
    await planGateOpen(admin, wid);
    const before = await admin.get(`/api/runs/${wid}/gates/approve-plan/history`);
    expect(before.status).toBe(200);
    expect(before.body.ledger).toEqual([]);
    expect(before.body.audit.map((a: any) => a.outcome)).toEqual(['opened']);

    const payload = { choice: 'yes', rationale: 'fine' };
    expect((await admin.post(`/api/runs/${wid}/gates/approve-plan/reply`, { payload, dedupeKey: 'h-1' })).status).toBe(
      200,
    );
    // A replay is not a second row; a conflicting payload under the same key is audited, not recorded.
    await admin.post(`/api/runs/${wid}/gates/approve-plan/reply`, { payload, dedupeKey: 'h-1' });
    await admin.post(`/api/runs/${wid}/gates/approve-plan/reply`, { payload: { choice: 'no' }, dedupeKey: 'h-1' });
    const after = await admin.get(`/api/runs/${wid}/gates/approve-plan/history`);
    expect(after.body.workflowId).toBe(wid);
    expect(after.body.ledger).toHaveLength(1);
    expect(after.body.ledger[0]).toMatchObject({
      topic: 'human:approve-plan',
      dedupeKey: 'h-1',
      payload,
      origin: 'rest',
      actor: expect.stringMatching(/^key:/),
    });
    expect(after.body.ledger[0].payloadHash).toMatch(/^[a-f0-9]{64}$/);
    expect(after.body.audit.map((a: any) => a.outcome)).toEqual(['opened', 'accepted', 'conflict']);
  });

  it('refuses a bad history request with its code and writes nothing', async () => {
    const cases: [string, number, string][] = [
      [`/api/runs/${randomUUID()}/gates/approve-plan/history`, 404, 'RUN_NOT_FOUND'],
      [`/api/runs/not-a-run/gates/approve-plan/history`, 404, 'RUN_NOT_FOUND'],
      [`/api/runs/${randomUUID()}/gates/Bad_Key/history`, 400, 'INVALID_GATE_KEY'],
    ];
    const wid = await startRun(admin);
    await planGateOpen(admin, wid);
    const after = await rowCounts(stack.db);
    cases.push([`/api/runs/${wid}/gates/no-such-gate/history`, 404, 'GATE_NOT_FOUND']);
    for (const [path, status, code] of cases) {
      const res = await admin.get(path);
      expect([path, res.status, res.body.error]).toEqual([path, status, code]);
    }
    expect((await anon.get(`/api/runs/${wid}/gates/approve-plan/history`)).status).toBe(401);
    expect(await rowCounts(stack.db)).toEqual(after);
  });

  it('GET /api/stream/gates tells a listener when a gate opens and when it is decided; 401 without a credential', async () => {
    expect((await fetch(`${stack.baseUrl}/api/stream/gates`)).status).toBe(401);
    const res = await fetch(`${stack.baseUrl}/api/stream/gates`, { headers: bearer(adminKey) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const wid = await startRun(admin);
    const opened = await readFeed(res, (es) => es.some((e) => e.workflowId === wid));
    expect(opened.filter((e) => e.workflowId === wid)).toEqual([
      { type: 'opened', workflowId: wid, gateKey: 'approve-plan' },
    ]);

    const res2 = await fetch(`${stack.baseUrl}/api/stream/gates`, { headers: bearer(adminKey) });
    await planGateOpen(admin, wid);
    await admin.post(`/api/runs/${wid}/gates/approve-plan/reply`, { payload: { choice: 'no' }, dedupeKey: 'f-1' });
    const decided = await readFeed(res2, (es) => es.some((e) => e.workflowId === wid && e.type === 'decided'));
    expect(decided.filter((e) => e.workflowId === wid && e.type === 'decided')).toEqual([
      { type: 'decided', workflowId: wid, gateKey: 'approve-plan' },
    ]);
  });
});
