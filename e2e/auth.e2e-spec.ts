import { randomUUID } from 'node:crypto';
import { generateApiKey } from '@gatehouse/identity';
import { Stack } from '../tools/test-support/stack';
import { Api, bearer, eventually } from './support/http';
import { TestIdentityProvider } from './support/identity-provider';
import { rowCounts } from './support/row-counts';
import { planGateOpen, runReaches, startRun } from './support/scenario';

/** DESIGN section 10 over REST, with AUTH_MODE=required: every refusal is its code and writes nothing. */
describe('identity on HTTP (e2e, AUTH_MODE=required)', () => {
  const bootstrapKey = generateApiKey();
  let idp: TestIdentityProvider;
  let stack: Stack;
  let anon: Api;
  let admin: Api;
  /** A non-admin key, made by the admin. */
  let operatorKey: { id: string; key: string };

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    stack = await Stack.start({
      name: 'auth',
      // Two gateway replicas: a key revoked through one stops working on the other within seconds.
      gateways: 2,
      env: {
        AUTH_MODE: 'required',
        AUTH_BOOTSTRAP_ADMIN_KEY: bootstrapKey,
        AUTH_KEY_CACHE_MS: '1000',
        AUTH_FAILURE_LIMIT: '60',
        ...idp.env(),
      },
    });
    anon = new Api(stack.baseUrl);
    admin = new Api(stack.baseUrl, bearer(bootstrapKey));
    const made = await admin.post('/api/keys', { name: 'ci-operator', roles: ['operator'] });
    expect(made.status).toBe(201);
    operatorKey = made.body;
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await idp?.stop();
  });

  /** Sends the request and proves it answered `status`/`code` without writing a row anywhere. */
  async function refusedWithoutWrites(
    send: () => Promise<{ status: number; body: any }>,
    status: number,
    code: string,
  ) {
    const before = await rowCounts(stack.db);
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.body.error).toBe(code);
    expect(await rowCounts(stack.db)).toEqual(before);
    return res;
  }

  const intent = { goal: 'g', inputs: {}, constraints: {} };

  it('refuses a request without a credential with 401 UNAUTHENTICATED and writes nothing', async () => {
    await refusedWithoutWrites(() => anon.post('/api/intents', intent), 401, 'UNAUTHENTICATED');
    await refusedWithoutWrites(() => anon.get('/api/keys'), 401, 'UNAUTHENTICATED');
    // An unverified actor name is never honoured under `required`.
    await refusedWithoutWrites(
      () => anon.post('/api/intents', intent, { headers: { 'x-gatehouse-actor': 'alice' } }),
      401,
      'UNAUTHENTICATED',
    );
  });

  it('judges the credential before the body: a bad body without a credential is 401, not 400 or 415', async () => {
    await refusedWithoutWrites(() => anon.post('/api/intents', undefined, { raw: '{nope' }), 401, 'UNAUTHENTICATED');
    await refusedWithoutWrites(
      () => anon.post('/api/intents', undefined, { raw: 'x', headers: { 'content-type': 'text/plain' } }),
      401,
      'UNAUTHENTICATED',
    );
  });

  it('judges the path the router sees: a percent-encoded /api is 401 too, never an unauthenticated read or write', async () => {
    const workflowID = randomUUID();
    for (const [method, path, body] of [
      ['POST', '/%61pi/intents', JSON.stringify(intent)],
      ['GET', `/%61pi/runs/${workflowID}`, undefined],
      ['GET', `/ap%69/runs/${workflowID}/gates`, undefined],
    ] as const) {
      const before = await rowCounts(stack.db);
      const res = await fetch(`${stack.baseUrl}${path}`, {
        method,
        body,
        headers: body ? { 'content-type': 'application/json' } : {},
      });
      expect({ path, status: res.status, body: await res.json() }).toMatchObject({
        path,
        status: 401,
        body: { error: 'UNAUTHENTICATED' },
      });
      expect(await rowCounts(stack.db)).toEqual(before);
    }
  });

  it('keeps health, metrics and the API document open', async () => {
    expect((await fetch(`${stack.baseUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${stack.baseUrl}/health/live`)).status).toBe(200);
    expect((await fetch(`${stack.baseUrl}/metrics`)).status).toBe(200);
    expect((await fetch(`${stack.baseUrl}/docs-json`)).status).toBe(200);
  });

  it('refuses a wrong key (well-formed but unknown, or malformed) with 401 and writes nothing', async () => {
    const unknown = new Api(stack.baseUrl, bearer(generateApiKey()));
    await refusedWithoutWrites(() => unknown.post('/api/intents', intent), 401, 'UNAUTHENTICATED');
    const lookAlike = new Api(
      stack.baseUrl,
      bearer(`${bootstrapKey.slice(0, -1)}${bootstrapKey.endsWith('0') ? '1' : '0'}`),
    );
    await refusedWithoutWrites(() => lookAlike.post('/api/intents', intent), 401, 'UNAUTHENTICATED');
  });

  it('refuses an expired token and a token from a foreign issuer or key with 401', async () => {
    const expired = await idp.mint({ expiresAt: Math.floor(Date.now() / 1000) - 3600 });
    const foreignIssuer = await idp.mint({ issuer: 'https://evil.example' });
    const foreignKey = await idp.mint({ foreignKey: true });
    const otherAudience = await idp.mint({ audience: 'someone-else' });
    for (const token of [expired, foreignIssuer, foreignKey, otherAudience]) {
      const res = await refusedWithoutWrites(
        () => new Api(stack.baseUrl, bearer(token)).post('/api/intents', intent),
        401,
        'UNAUTHENTICATED',
      );
      expect(JSON.stringify(res.body)).not.toContain(token);
    }
  });

  it('runs a gate end to end with a good key; the run records its requester and the ledger its actor', async () => {
    const operator = new Api(stack.baseUrl, bearer(operatorKey.key));
    const wid = await startRun(operator);
    const [run] = await stack.db.query(`SELECT requested_by FROM runs.runs WHERE id = $1`, [wid]);
    expect(run.requested_by).toBe(`key:${operatorKey.id}`);
    await planGateOpen(operator, wid);
    // The requester may not approve its own run (the default policy, DESIGN section 11); another key may.
    const own = { payload: { choice: 'yes' }, dedupeKey: `own-${wid}` };
    const refused = await operator.post(`/api/runs/${wid}/gates/approve-plan/reply`, own);
    expect({ status: refused.status, error: refused.body.error }).toEqual({ status: 403, error: 'SELF_APPROVAL' });
    const reviewer = await admin.post('/api/keys', { name: `reviewer-${wid}`, roles: ['operator'] });
    const reply = { payload: { choice: 'yes', rationale: 'reviewed' }, dedupeKey: `k-${wid}` };
    const res = await new Api(stack.baseUrl, bearer(reviewer.body.key)).post(
      `/api/runs/${wid}/gates/approve-plan/reply`,
      reply,
      // Ignored under `required`: the body and headers cannot choose the actor.
      { headers: { 'x-gatehouse-actor': 'mallory' } },
    );
    expect(res.body).toEqual({ ok: true, state: 'RECEIVED', duplicate: false });
    expect(
      await stack.db.query(`SELECT actor, origin FROM gates.human_interactions WHERE workflow_id = $1`, [wid]),
    ).toEqual([{ actor: `key:${reviewer.body.id}`, origin: 'rest' }]);
    await runReaches(operator, wid, 'SUCCESS');
    expect((await operator.get(`/api/runs/${wid}`)).body.requestedBy).toBe(`key:${operatorKey.id}`);
  });

  it('accepts a good token: the actor is the token subject; a replay by another principal is a drift (409)', async () => {
    const carol = new Api(stack.baseUrl, bearer(await idp.mint({ sub: 'carol', roles: ['operator'] })));
    // Started by someone else: the requester may not approve its own run.
    const wid = await startRun(admin);
    await planGateOpen(carol, wid);
    const reply = { payload: { choice: 'yes' }, dedupeKey: `t-${wid}` };
    expect((await carol.post(`/api/runs/${wid}/gates/approve-plan/reply`, reply)).body).toEqual({
      ok: true,
      state: 'RECEIVED',
      duplicate: false,
    });
    expect((await carol.post(`/api/runs/${wid}/gates/approve-plan/reply`, reply)).body.duplicate).toBe(true);
    const [row] = await stack.db.query(`SELECT actor FROM gates.human_interactions WHERE workflow_id = $1`, [wid]);
    expect(row.actor).toBe('jwt:carol');
    const own = await startRun(carol);
    // Waiting at its gate, so that later tests count rows on a quiet database.
    await planGateOpen(carol, own);
    const [started] = await stack.db.query(`SELECT requested_by FROM runs.runs WHERE id = $1`, [own]);
    expect(started.requested_by).toBe('jwt:carol');

    const dave = new Api(stack.baseUrl, bearer(await idp.mint({ sub: 'dave' })));
    const ledgerBefore = await stack.db.query(`SELECT count(*)::int AS n FROM gates.human_interactions`);
    const drift = await dave.post(`/api/runs/${wid}/gates/approve-plan/reply`, reply);
    expect(drift.status).toBe(409);
    expect(drift.body.error).toBe('DEDUPE_CONFLICT');
    expect(await stack.db.query(`SELECT count(*)::int AS n FROM gates.human_interactions`)).toEqual(ledgerBefore);
    // Settled, so that later tests count rows on a quiet database.
    await runReaches(carol, wid, 'SUCCESS');
  });

  it('lets only admins manage keys: 403 FORBIDDEN, one security log entry, nothing written', async () => {
    const operator = new Api(stack.baseUrl, bearer(operatorKey.key));
    const logBefore = stack
      .log('gateway')
      .split('\n')
      .filter((l) => l.includes('"access denied"')).length;
    await refusedWithoutWrites(() => operator.post('/api/keys', { name: 'x', roles: ['admin'] }), 403, 'FORBIDDEN');
    await refusedWithoutWrites(() => operator.get('/api/keys'), 403, 'FORBIDDEN');
    await refusedWithoutWrites(() => operator.request('DELETE', `/api/keys/${operatorKey.id}`), 403, 'FORBIDDEN');
    const token = new Api(stack.baseUrl, bearer(await idp.mint({ roles: ['operator'] })));
    await refusedWithoutWrites(() => token.get('/api/keys'), 403, 'FORBIDDEN');
    await eventually(async () => {
      const denials = stack
        .log('gateway')
        .split('\n')
        .filter((l) => l.includes('"access denied"'));
      return denials.length === logBefore + 4 ? denials : undefined;
    });
    // A token with the admin role may.
    const adminToken = new Api(stack.baseUrl, bearer(await idp.mint({ sub: 'root', roles: ['admin'] })));
    expect((await adminToken.get('/api/keys')).status).toBe(200);
  });

  it('lists keys without secrets, revokes idempotently, and a revoked key stops working within seconds', async () => {
    const made = await admin.post('/api/keys', { name: 'short-lived', roles: ['operator'] });
    expect(made.body).toEqual({
      id: expect.any(String),
      name: 'short-lived',
      roles: ['operator'],
      key: expect.any(String),
    });
    // Used on the second replica, which then remembers the key as valid.
    const user = new Api(stack.gatewayUrl(1), bearer(made.body.key));
    expect((await user.post('/api/intents', intent)).status).toBe(201);

    const list = await admin.get('/api/keys');
    expect(list.status).toBe(200);
    const listed = list.body.find((k: any) => k.id === made.body.id);
    expect(listed).toMatchObject({
      name: 'short-lived',
      roles: ['operator'],
      createdBy: expect.stringMatching(/^key:/),
    });
    expect(made.body.key.startsWith(listed.prefix)).toBe(true);
    expect(listed.lastUsedAt).not.toBeNull();
    expect(listed.revokedAt).toBeNull();
    const text = JSON.stringify(list.body);
    for (const secret of [made.body.key, bootstrapKey, operatorKey.key]) expect(text).not.toContain(secret);
    const [stored] = await stack.db.query(`SELECT * FROM gates.api_keys WHERE id = $1`, [made.body.id]);
    expect(JSON.stringify(stored)).not.toContain(made.body.key);
    expect(list.body.find((k: any) => k.name === 'bootstrap')).toMatchObject({ roles: ['admin'] });

    const revoked = await admin.request('DELETE', `/api/keys/${made.body.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    const again = await admin.request('DELETE', `/api/keys/${made.body.id}`);
    expect(again.body.revokedAt).toBe(revoked.body.revokedAt);
    const revokedAt = Date.now();
    await eventually(async () => ((await user.get('/api/keys')).status === 401 ? true : undefined), 5_000);
    expect(Date.now() - revokedAt).toBeLessThan(5_000);
    await refusedWithoutWrites(() => user.post('/api/intents', intent), 401, 'UNAUTHENTICATED');
    expect((await admin.request('DELETE', '/api/keys/8f8b6c36-0000-4000-8000-000000000000')).body.error).toBe(
      'KEY_NOT_FOUND',
    );
  });

  it('refuses bad key requests with 400 and writes nothing', async () => {
    await refusedWithoutWrites(
      () => admin.post('/api/keys', { name: '', roles: ['operator'] }),
      400,
      'VALIDATION_FAILED',
    );
    await refusedWithoutWrites(() => admin.post('/api/keys', { name: 'x', roles: [] }), 400, 'VALIDATION_FAILED');
    await refusedWithoutWrites(
      () => admin.post('/api/keys', { name: 'x', roles: ['Admin!'] }),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('never writes a key or token to a log', async () => {
    const logs = ['gateway', 'gates', 'runs', 'escalation'].map((s) => stack.log(s as any)).join('\n');
    expect(logs).toContain('"authentication refused"');
    for (const secret of [bootstrapKey, operatorKey.key]) expect(logs).not.toContain(secret.slice(14));
    expect(logs).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./);
  });

  // Last: it leaves this client blocked for the rest of the window.
  it('slows a client that keeps failing: 429 RATE_LIMITED with Retry-After, even for a good key afterwards', async () => {
    const wrong = new Api(stack.baseUrl, bearer(generateApiKey()));
    let limited: { status: number; body: any; headers: Headers } | undefined;
    for (let i = 0; i < 61 && !limited; i++) {
      const res = await wrong.get('/api/keys');
      if (res.status === 429) limited = res;
      else expect(res.status).toBe(401);
    }
    expect(limited?.body.error).toBe('RATE_LIMITED');
    const wait = Number(limited?.headers.get('retry-after'));
    expect(Number.isInteger(wait) && wait >= 1 && wait <= 60).toBe(true);
    await refusedWithoutWrites(() => admin.post('/api/intents', intent), 429, 'RATE_LIMITED');
  });
});
