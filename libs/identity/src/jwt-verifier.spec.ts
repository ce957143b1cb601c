import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { ErrorCode, GatehouseError } from '@gatehouse/contracts';
import { JwtVerifier, rolesFrom, type JwtSettings } from './jwt-verifier';

const ISSUER = 'https://idp.test';
const AUDIENCE = 'gatehouse';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'accepted';
  } catch (err) {
    return err instanceof GatehouseError ? err.code : String(err);
  }
}

describe('JwtVerifier', () => {
  let signing: { privateKey: CryptoKey; publicKey: CryptoKey };
  let other: { privateKey: CryptoKey; publicKey: CryptoKey };
  let server: Server;
  let settings: JwtSettings;

  const mint = (
    claims: Record<string, unknown> = {},
    opts: { key?: CryptoKey; exp?: string | number; iss?: string; aud?: string } = {},
  ) =>
    new SignJWT({ roles: ['operator'], ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setSubject('alice')
      .setIssuer(opts.iss ?? ISSUER)
      .setAudience(opts.aud ?? AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(opts.exp ?? '5m')
      .sign(opts.key ?? signing.privateKey);

  beforeAll(async () => {
    signing = await generateKeyPair('ES256', { extractable: true });
    other = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(signing.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    settings = {
      jwksUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`,
      issuer: ISSUER,
      audience: AUDIENCE,
      rolesClaim: 'roles',
      algorithms: ['ES256', 'RS256'],
      clockToleranceS: 30,
    };
  });

  afterAll(() => new Promise((r) => server.close(r)));

  it('is not created without a key source', () => {
    expect(JwtVerifier.create({ ...settings, jwksUrl: undefined })).toBeUndefined();
  });

  it('accepts a good token from the JWKS and takes roles from the claim', async () => {
    const verifier = JwtVerifier.create(settings)!;
    await expect(verifier.verify(await mint({ name: 'Alice A.' }))).resolves.toEqual({
      id: 'jwt:alice',
      kind: 'jwt',
      name: 'Alice A.',
      roles: ['operator'],
    });
  });

  it('accepts a token verified by a PEM public key file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'gh-jwt-')), 'idp.pem');
    writeFileSync(file, await exportSPKI(signing.publicKey));
    const verifier = JwtVerifier.create({ ...settings, jwksUrl: undefined, publicKeyFile: file })!;
    await expect(verifier.verify(await mint())).resolves.toMatchObject({ id: 'jwt:alice' });
    expect(await codeOf(verifier.verify(await mint({}, { key: other.privateKey })))).toBe(ErrorCode.UNAUTHENTICATED);
  });

  it.each([
    ['expired beyond the skew', () => mint({}, { exp: Math.floor(Date.now() / 1000) - 120 })],
    ['from a foreign issuer', () => mint({}, { iss: 'https://evil.test' })],
    ['for another audience', () => mint({}, { aud: 'someone-else' })],
    ['signed by another key', () => mint({}, { key: other.privateKey })],
  ])('refuses a token %s', async (_what, token) => {
    const verifier = JwtVerifier.create(settings)!;
    expect(await codeOf(verifier.verify(await token()))).toBe(ErrorCode.UNAUTHENTICATED);
  });

  it('accepts a token expired within the clock skew', async () => {
    const verifier = JwtVerifier.create(settings)!;
    const token = await mint({}, { exp: Math.floor(Date.now() / 1000) - 5 });
    await expect(verifier.verify(token)).resolves.toMatchObject({ id: 'jwt:alice' });
  });

  it('refuses an algorithm outside the allowlist, and shared-secret tokens', async () => {
    const verifier = JwtVerifier.create({ ...settings, algorithms: ['RS256'] })!;
    expect(await codeOf(verifier.verify(await mint()))).toBe(ErrorCode.UNAUTHENTICATED);
    const hs = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('x'.repeat(32)));
    expect(await codeOf(JwtVerifier.create(settings)!.verify(hs))).toBe(ErrorCode.UNAUTHENTICATED);
  });

  it('answers 503 when the identity provider cannot be reached', async () => {
    const verifier = JwtVerifier.create({ ...settings, jwksUrl: 'http://127.0.0.1:1/jwks.json' })!;
    expect(await codeOf(verifier.verify(await mint()))).toBe(ErrorCode.SERVICE_UNAVAILABLE);
  });

  it('answers 503, not 401, when the identity provider answers an error or a body that is not JSON', async () => {
    const broken = createServer((req, res) => {
      if (req.url === '/down') res.writeHead(502).end('bad gateway');
      else res.writeHead(200, { 'content-type': 'application/json' }).end('<html>maintenance</html>');
    });
    await new Promise<void>((r) => broken.listen(0, '127.0.0.1', r));
    try {
      const base = `http://127.0.0.1:${(broken.address() as AddressInfo).port}`;
      for (const path of ['/down', '/not-json']) {
        const verifier = JwtVerifier.create({ ...settings, jwksUrl: `${base}${path}` })!;
        expect({ path, code: await codeOf(verifier.verify(await mint())) }).toEqual({
          path,
          code: ErrorCode.SERVICE_UNAVAILABLE,
        });
      }
    } finally {
      await new Promise((r) => broken.close(r));
    }
  });
});

describe('rolesFrom', () => {
  it('reads arrays, space-separated strings and nested claims, keeping valid names only', () => {
    expect(rolesFrom({ roles: ['admin', 'Bad Role', 'operator', 'admin'] }, 'roles')).toEqual(['admin', 'operator']);
    expect(rolesFrom({ scope: 'admin devops_engineer' }, 'scope')).toEqual(['admin', 'devops_engineer']);
    expect(rolesFrom({ realm_access: { roles: ['operator'] } }, 'realm_access.roles')).toEqual(['operator']);
    expect(rolesFrom({}, 'roles')).toEqual([]);
    expect(rolesFrom({ roles: 42 }, 'roles')).toEqual([]);
  });
});
