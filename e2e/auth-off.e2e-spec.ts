import { generateApiKey } from '@gatehouse/identity';
import { Stack } from '../tools/test-support/stack';
import { Api } from './support/http';
import { rowCounts } from './support/row-counts';
import { planGateOpen, runReaches, startRun } from './support/scenario';

/** AUTH_MODE=off, the laptop default (DESIGN section 10): anonymous by default, named actors on request. */
describe('identity with AUTH_MODE=off (e2e)', () => {
  let stack: Stack;
  let api: Api;

  beforeAll(async () => {
    stack = await Stack.start({ name: 'auth-off' });
    api = new Api(stack.baseUrl);
  }, 120_000);

  afterAll(() => stack?.stop());

  it('says loudly at start that nobody is asked who they are', () => {
    expect(stack.log('gateway')).toContain('AUTH_MODE=off');
  });

  it('records anonymous, or the named actor of X-Gatehouse-Actor, as requester and actor', async () => {
    const wid = await startRun(new Api(stack.baseUrl, { 'x-gatehouse-actor': 'rita' }));
    await planGateOpen(api, wid);
    const [run] = await stack.db.query(`SELECT requested_by FROM runs.runs WHERE id = $1`, [wid]);
    expect(run.requested_by).toBe('actor:rita');
    const reply = { payload: { choice: 'yes' }, dedupeKey: `off-${wid}` };
    expect((await api.post(`/api/runs/${wid}/gates/approve-plan/reply`, reply)).body.duplicate).toBe(false);
    // Another named actor replaying the same reply is another principal: a drift, not a replay.
    const bob = await api.post(`/api/runs/${wid}/gates/approve-plan/reply`, reply, {
      headers: { 'x-gatehouse-actor': 'bob' },
    });
    expect(bob.status).toBe(409);
    expect(bob.body.error).toBe('DEDUPE_CONFLICT');
    const [row] = await stack.db.query(`SELECT actor FROM gates.human_interactions WHERE workflow_id = $1`, [wid]);
    expect(row.actor).toBe('anonymous');
    await runReaches(api, wid, 'SUCCESS');
  });

  it('refuses a malformed actor name and a wrong credential with 401, writing nothing', async () => {
    const before = await rowCounts(stack.db);
    const intent = { goal: 'g', inputs: {}, constraints: {} };
    const badName = await api.post('/api/intents', intent, { headers: { 'x-gatehouse-actor': 'bob smith' } });
    expect([badName.status, badName.body.error]).toEqual([401, 'UNAUTHENTICATED']);
    const wrongKey = await api.post('/api/intents', intent, {
      headers: { authorization: `Bearer ${generateApiKey()}` },
    });
    expect([wrongKey.status, wrongKey.body.error]).toEqual([401, 'UNAUTHENTICATED']);
    expect(await rowCounts(stack.db)).toEqual(before);
  });

  it('lets the anonymous principal manage keys (it holds every role), and honours the keys it makes', async () => {
    const made = await api.post('/api/keys', { name: 'laptop', roles: ['operator'] });
    expect(made.status).toBe(201);
    const operator = new Api(stack.baseUrl, { authorization: `Bearer ${made.body.key}` });
    const denied = await operator.get('/api/keys');
    expect([denied.status, denied.body.error]).toEqual([403, 'FORBIDDEN']);
  });
});
