import { ErrorCode, GatehouseError } from '@gatehouse/contracts';
import { generateApiKey, hashApiKey } from './api-key';
import { Authenticator, type KeyLookup } from './authenticator';
import { ANONYMOUS } from './principal';

const key = generateApiKey();
const lookup: KeyLookup = async (hash) =>
  hash === hashApiKey(key) ? { id: 'k-1', name: 'ci', roles: ['operator'] } : undefined;

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'accepted';
  } catch (err) {
    return err instanceof GatehouseError ? err.code : String(err);
  }
}

describe('Authenticator', () => {
  const off = new Authenticator('off', lookup, undefined);
  const required = new Authenticator('required', lookup, undefined);

  it('off: no credential is anonymous; a named actor is its own principal', async () => {
    await expect(off.authenticate({})).resolves.toBe(ANONYMOUS);
    await expect(off.authenticate({ actor: 'alice' })).resolves.toMatchObject({ id: 'actor:alice', kind: 'header' });
  });

  it('required: no credential is UNAUTHENTICATED, and a named actor is not honoured', async () => {
    expect(await codeOf(required.authenticate({}))).toBe(ErrorCode.UNAUTHENTICATED);
    expect(await codeOf(required.authenticate({ actor: 'alice' }))).toBe(ErrorCode.UNAUTHENTICATED);
  });

  it('judges a presented credential in either mode: a good key is its principal, a wrong one is refused', async () => {
    for (const auth of [off, required]) {
      await expect(auth.authenticate({ authorization: `Bearer ${key}`, actor: 'mallory' })).resolves.toEqual({
        id: 'key:k-1',
        kind: 'key',
        name: 'ci',
        roles: ['operator'],
      });
      expect(await codeOf(auth.authenticate({ authorization: `Bearer ${generateApiKey()}` }))).toBe(
        ErrorCode.UNAUTHENTICATED,
      );
      expect(await codeOf(auth.authenticate({ authorization: 'Bearer a.b.c' }))).toBe(ErrorCode.UNAUTHENTICATED);
    }
  });
});
