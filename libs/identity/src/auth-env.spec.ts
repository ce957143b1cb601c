import 'reflect-metadata';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { EnvValidationError, validateEnv } from '@gatehouse/contracts';
import { AuthEnv, jwtSettings } from './auth-env';

const refusal = (raw: Record<string, string>) => {
  try {
    validateEnv(AuthEnv, raw);
  } catch (err) {
    expect(err).toBeInstanceOf(EnvValidationError);
    return (err as Error).message;
  }
  return 'accepted';
};

describe('AuthEnv', () => {
  it('defaults to AUTH_MODE=off with no JWT source', () => {
    const env = validateEnv(AuthEnv, {});
    expect(env.AUTH_MODE).toBe('off');
    expect(jwtSettings(env)).toMatchObject({ jwksUrl: undefined, publicKeyFile: undefined, rolesClaim: 'roles' });
  });

  it('accepts a JWKS URL with issuer and audience', () => {
    const env = validateEnv(AuthEnv, {
      AUTH_MODE: 'required',
      AUTH_JWKS_URL: 'https://idp.example/.well-known/jwks.json',
      AUTH_JWT_ISSUER: 'https://idp.example',
      AUTH_JWT_AUDIENCE: 'gatehouse',
      AUTH_JWT_ALGORITHMS: 'RS256, ES256',
    });
    expect(jwtSettings(env)).toMatchObject({ algorithms: ['RS256', 'ES256'], clockToleranceS: 30 });
  });

  it('accepts a PEM public key file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'auth-env-')), 'idp.pem');
    writeFileSync(
      file,
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }),
    );
    expect(refusal({ AUTH_JWT_PUBLIC_KEY_FILE: file, AUTH_JWT_ISSUER: 'i', AUTH_JWT_AUDIENCE: 'a' })).toBe('accepted');
  });

  it.each([
    [{ AUTH_MODE: 'on' }, /AUTH_MODE/],
    [{ AUTH_JWKS_URL: 'not a url', AUTH_JWT_ISSUER: 'i', AUTH_JWT_AUDIENCE: 'a' }, /AUTH_JWKS_URL/],
    [{ AUTH_JWKS_URL: 'https://idp.example/jwks' }, /AUTH_JWT_ISSUER is required/],
    [
      { AUTH_JWT_PUBLIC_KEY_FILE: '/nonexistent/idp.pem', AUTH_JWT_ISSUER: 'i', AUTH_JWT_AUDIENCE: 'a' },
      /does not exist/,
    ],
    [
      {
        AUTH_JWKS_URL: 'https://idp.example/jwks',
        AUTH_JWT_PUBLIC_KEY_FILE: __filename,
        AUTH_JWT_ISSUER: 'i',
        AUTH_JWT_AUDIENCE: 'a',
      },
      /not both/,
    ],
    [{ AUTH_JWT_ALGORITHMS: 'HS256' }, /AUTH_JWT_ALGORITHMS/],
    [{ AUTH_JWT_ALGORITHMS: 'none' }, /AUTH_JWT_ALGORITHMS/],
    [{ AUTH_JWT_CLOCK_SKEW_S: '3600' }, /AUTH_JWT_CLOCK_SKEW_S/],
    [{ AUTH_ROLES_CLAIM: 'a..b' }, /AUTH_ROLES_CLAIM/],
  ])('refuses %j', (raw, message) => {
    expect(refusal(raw as Record<string, string>)).toMatch(message);
  });
});
