import { validateEnv } from '@gatehouse/contracts';
import { GatewayEnv } from './gateway.env';
import { fastifyTrustProxy, parseTrustProxy } from './trust-proxy';

describe('TRUST_PROXY', () => {
  it.each([
    ['', false],
    ['false', false],
    ['true', true],
    ['1', 1],
    ['32', 32],
    ['10.0.0.0/8', ['10.0.0.0/8']],
    ['10.42.0.0/16, 127.0.0.1 ,fd00::/8', ['10.42.0.0/16', '127.0.0.1', 'fd00::/8']],
  ])('reads %j', (raw, expected) => {
    expect(parseTrustProxy(raw)).toEqual(expected);
  });

  it.each([['yes'], ['0'], ['33'], ['-1'], ['10.0.0.0/33'], ['::1/129'], ['10.0.0.0/8/1'], ['a,'], ['loopback']])(
    'refuses %j at start, naming the variable',
    (raw) => {
      expect(() => parseTrustProxy(raw)).toThrow();
      expect(() => validateEnv(GatewayEnv, { TRUST_PROXY: raw })).toThrow(/TRUST_PROXY=/);
    },
  );

  it('a hop count trusts the nearest hops only, as Fastify does', () => {
    const trust = fastifyTrustProxy(2) as (address: string, hop: number) => boolean;
    expect([0, 1, 2].map((hop) => trust('10.0.0.1', hop))).toEqual([true, true, false]);
    expect(fastifyTrustProxy(false)).toBe(false);
  });
});
