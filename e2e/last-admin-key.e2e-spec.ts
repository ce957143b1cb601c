import { generateApiKey } from '@gatehouse/identity';
import { Stack } from '../tools/test-support/stack';
import { Api, bearer } from './support/http';
import { TestIdentityProvider } from './support/identity-provider';
import { rowCounts } from './support/row-counts';

/** Keys are the only way into key management under AUTH_MODE=required: the last admin key stays. */
describe('the last admin key (e2e, AUTH_MODE=required)', () => {
  const bootstrapKey = generateApiKey();
  let idp: TestIdentityProvider;
  let stack: Stack;
  let bootstrap: Api;
  let bootstrapId: string;
  /** Whichever admin key the previous test left active. */
  let lastAdmin: Api;

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    stack = await Stack.start({
      name: 'last-admin',
      env: {
        AUTH_MODE: 'required',
        AUTH_BOOTSTRAP_ADMIN_KEY: bootstrapKey,
        AUTH_KEY_CACHE_MS: '1000',
        ...idp.env(),
      },
    });
    bootstrap = new Api(stack.baseUrl, bearer(bootstrapKey));
    const list = await bootstrap.get('/api/keys');
    expect(list.status).toBe(200);
    bootstrapId = list.body.find((k: any) => k.name === 'bootstrap').id;
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await idp?.stop();
  });

  const activeAdminIds = async () =>
    (
      await stack.db.query<{ id: string }>(
        `SELECT id FROM gates.api_keys WHERE 'admin' = ANY (roles) AND revoked_at IS NULL ORDER BY id`,
      )
    ).map((r) => r.id);

  const makeAdmin = async (by: Api, name: string) => {
    const made = await by.post('/api/keys', { name, roles: ['admin', 'operator'] });
    expect(made.status).toBe(201);
    return { id: made.body.id as string, api: new Api(stack.baseUrl, bearer(made.body.key)) };
  };

  it('refuses to revoke the only admin key with 409 LAST_ADMIN_KEY, writes nothing, and the key keeps working', async () => {
    // An operator key does not count as an admin: it does not save the admin key.
    expect((await bootstrap.post('/api/keys', { name: 'ops', roles: ['operator'] })).status).toBe(201);
    expect(await activeAdminIds()).toEqual([bootstrapId]);
    const before = await rowCounts(stack.db);
    const refused = await bootstrap.request('DELETE', `/api/keys/${bootstrapId}`);
    expect({ status: refused.status, error: refused.body.error }).toEqual({ status: 409, error: 'LAST_ADMIN_KEY' });
    expect(await rowCounts(stack.db)).toEqual(before);
    expect(await activeAdminIds()).toEqual([bootstrapId]);
    // Past the key cache: the key was never revoked, anywhere.
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await bootstrap.get('/api/keys')).status).toBe(200);
  });

  it('revokes an admin key once another admin key exists', async () => {
    const second = await makeAdmin(bootstrap, 'second-admin');
    const revoked = await second.api.request('DELETE', `/api/keys/${bootstrapId}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    // Revoking a revoked key stays idempotent, even though it is not the last admin key.
    expect((await second.api.request('DELETE', `/api/keys/${bootstrapId}`)).status).toBe(200);
    expect(await activeAdminIds()).toEqual([second.id]);
    // And now the second one is the last.
    const refused = await second.api.request('DELETE', `/api/keys/${second.id}`);
    expect({ status: refused.status, error: refused.body.error }).toEqual({ status: 409, error: 'LAST_ADMIN_KEY' });
    expect(await activeAdminIds()).toEqual([second.id]);
    lastAdmin = second.api;
  });

  it('lets exactly one of two concurrent revocations of the last two admin keys succeed', async () => {
    // A JWT admin sends both revocations, so that neither is refused for its own key being revoked;
    // it is not a key, so it does not count as an admin key either.
    const jwtAdmin = new Api(stack.baseUrl, bearer(await idp.mint({ sub: 'root', roles: ['admin'] })));
    let root = lastAdmin;
    for (let round = 0; round < 5; round++) {
      const a = await makeAdmin(root, `a-${round}`);
      const b = await makeAdmin(root, `b-${round}`);
      // Down to a and b: revoke the others first (sequentially; each leaves at least two).
      for (const id of await activeAdminIds()) {
        if (id !== a.id && id !== b.id) expect((await a.api.request('DELETE', `/api/keys/${id}`)).status).toBe(200);
      }
      expect((await activeAdminIds()).sort()).toEqual([a.id, b.id].sort());
      const answers = await Promise.all([
        jwtAdmin.request('DELETE', `/api/keys/${b.id}`),
        jwtAdmin.request('DELETE', `/api/keys/${a.id}`),
      ]);
      const outcomes = answers.map((r) => (r.status === 200 ? 'ok' : `${r.status} ${r.body.error}`)).sort();
      expect(outcomes).toEqual(['409 LAST_ADMIN_KEY', 'ok']);
      const left = await activeAdminIds();
      expect(left).toHaveLength(1);
      // The survivor is the one whose revocation was refused, and it still manages keys.
      const survivor = left[0] === a.id ? a : b;
      expect((await survivor.api.get('/api/keys')).status).toBe(200);
      root = survivor.api;
    }
  });
});
