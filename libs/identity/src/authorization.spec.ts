import fc from 'fast-check';
import { ErrorCode, GatehouseError } from '@gatehouse/contracts';
import { generateApiKey, hashApiKey } from './api-key';
import { parseAuthorization } from './authorization';
import { headerActor } from './actor-header';

const refused = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof GatehouseError ? err.code : 'other';
  }
  return 'accepted';
};

describe('parseAuthorization', () => {
  it('is undefined without a header', () => {
    expect(parseAuthorization(undefined)).toBeUndefined();
  });

  it('reads a key as its hash, never keeping the key itself', () => {
    const key = generateApiKey();
    expect(parseAuthorization(`Bearer ${key}`)).toEqual({ kind: 'key', hash: hashApiKey(key) });
    expect(parseAuthorization(`bearer ${key}`)).toEqual({ kind: 'key', hash: hashApiKey(key) });
  });

  it('reads a compact JWT', () => {
    expect(parseAuthorization('Bearer aaa.bbb.ccc')).toEqual({ kind: 'jwt', token: 'aaa.bbb.ccc' });
  });

  it.each([
    '',
    'Bearer',
    'Bearer ',
    'Basic dXNlcjpwYXNz',
    'Token abc',
    'Bearer a.b',
    'Bearer gatehouse_key_short',
    'Bearer a b',
    `Bearer ${'x'.repeat(9000)}`,
  ])('refuses %j as UNAUTHENTICATED', (header) => {
    expect(refused(() => parseAuthorization(header))).toBe(ErrorCode.UNAUTHENTICATED);
  });

  it('refuses two Authorization headers', () => {
    expect(refused(() => parseAuthorization(['Bearer a.b.c', 'Bearer a.b.c']))).toBe(ErrorCode.UNAUTHENTICATED);
  });

  it('never throws anything but UNAUTHENTICATED, and never echoes the header', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (header) => {
        try {
          parseAuthorization(header);
        } catch (err) {
          expect(err).toBeInstanceOf(GatehouseError);
          expect((err as GatehouseError).code).toBe(ErrorCode.UNAUTHENTICATED);
          if (header.length > 12) expect((err as GatehouseError).message).not.toContain(header);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('headerActor', () => {
  it('names a distinct principal per name, holding every role', () => {
    expect(headerActor('alice')).toMatchObject({ id: 'actor:alice', kind: 'header', name: 'alice', roles: ['*'] });
    expect(headerActor('bob@example.com')?.id).toBe('actor:bob@example.com');
    expect(headerActor(undefined)).toBeUndefined();
  });

  it.each(['', ' alice', 'a b', 'x'.repeat(101), 'ålice', '-lead'])('refuses %j', (name) => {
    expect(refused(() => headerActor(name))).toBe(ErrorCode.UNAUTHENTICATED);
  });
});
