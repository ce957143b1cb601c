import fc from 'fast-check';
import { API_KEY_PREFIX } from '@gatehouse/identity';
import { Stack } from '../tools/test-support/stack';
import { Api } from './support/http';
import { TestIdentityProvider } from './support/identity-provider';
import { rowCounts } from './support/row-counts';

/** What fetch can put in a header value: visible ASCII and spaces, no leading or trailing space. */
const headerChars = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) });
const base64url = fc.string({
  unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('')),
  maxLength: 80,
});
const base62 = fc.string({
  unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'.split('')),
  minLength: 40,
  maxLength: 55,
});

/** Authorization headers that must all be refused: noise, wrong schemes, look-alike keys, forged JWTs. */
const malformed = fc.oneof(
  headerChars,
  headerChars.map((s) => `Bearer ${s}`),
  headerChars.map((s) => `Basic ${s}`),
  base62.map((s) => `Bearer ${API_KEY_PREFIX}${s}`),
  fc.tuple(base64url, base64url, base64url).map(([a, b, c]) => `Bearer ${a}.${b}.${c}`),
  // A JWT-looking header part ({"alg":...}) with a junk payload and signature.
  fc
    .tuple(fc.constantFrom('none', 'HS256', 'RS256', 'ES256', 'EdDSA'), base64url, base64url)
    .map(
      ([alg, b, c]) =>
        `Bearer ${Buffer.from(JSON.stringify({ alg, typ: 'JWT', kid: 'test-1' })).toString('base64url')}.${b}.${c}`,
    ),
);

/** Thousands of malformed Authorization headers against the real gateway: every one 401, never a 5xx. */
describe('Authorization fuzz (e2e, AUTH_MODE=required)', () => {
  let stack: Stack;
  let idp: TestIdentityProvider;

  beforeAll(async () => {
    // A reachable identity provider: forged tokens are judged against its keys (an unreachable one is 503).
    idp = await TestIdentityProvider.start();
    stack = await Stack.start({
      name: 'auth-fuzz',
      // The failure limiter is exercised elsewhere; here every request must reach the authenticator.
      env: {
        AUTH_MODE: 'required',
        AUTH_FAILURE_LIMIT: '1000000',
        ...idp.env(),
      },
    });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await idp?.stop();
  });

  it('answers 401 UNAUTHENTICATED to every malformed header, writing nothing', async () => {
    const before = await rowCounts(stack.db);
    const statuses = new Map<number, number>();
    const samples = fc.sample(malformed, { numRuns: 5000, seed: 18 });
    // One client, so the OpenAPI document is loaded once; each request brings its own header.
    const api = new Api(stack.baseUrl);
    for (let i = 0; i < samples.length; i += 20) {
      await Promise.all(
        samples.slice(i, i + 20).map(async (header) => {
          const res = await api.post(
            '/api/intents',
            { goal: 'g', inputs: {}, constraints: {} },
            { headers: { authorization: header } },
          );
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status !== 401)
            throw new Error(`${JSON.stringify(header)} answered ${res.status} ${JSON.stringify(res.body)}`);
          expect(res.body.error).toBe('UNAUTHENTICATED');
        }),
      );
    }
    expect(Object.fromEntries(statuses)).toEqual({ 401: 5000 });
    expect(await rowCounts(stack.db)).toEqual(before);
  }, 300_000);
});
