import { isIP } from 'node:net';

/** What Fastify's `trustProxy` gets: off, every hop, the nearest n hops, or these addresses and ranges. */
export type TrustProxy = boolean | number | string[];

const MAX_HOPS = 32;

/**
 * Reads TRUST_PROXY: `false` (the default: `request.ip` is the socket's address), `true` (trust every
 * proxy: only when nothing can reach the gateway except through them), a hop count 1..32, or a
 * comma-separated list of addresses and CIDR ranges of the proxies. Throws with the reason otherwise.
 */
export function parseTrustProxy(raw: string): TrustProxy {
  const value = raw.trim();
  if (value === '' || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops < 1 || hops > MAX_HOPS) throw new Error(`a hop count must be 1..${MAX_HOPS}`);
    return hops;
  }
  const entries = value.split(',').map((s) => s.trim());
  for (const entry of entries) {
    const problem = cidrProblem(entry);
    if (problem) throw new Error(`"${entry.slice(0, 60)}" ${problem}`);
  }
  return entries;
}

/**
 * As Fastify's `trustProxy`; a hop count as the function Fastify itself makes of one (the adapter's
 * option type has no number): the nearest `n` addresses are proxies.
 */
export function fastifyTrustProxy(trust: TrustProxy): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof trust === 'number' ? (_address, hop) => hop < trust : trust;
}

/** The message of parseTrustProxy's refusal, or undefined when the value is good. */
export function trustProxyProblem(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return 'must be a string';
  try {
    parseTrustProxy(raw);
    return undefined;
  } catch (err) {
    return `${(err as Error).message} (expected false, true, a hop count, or addresses/CIDRs separated by commas)`;
  }
}

function cidrProblem(entry: string): string | undefined {
  if (entry === '') return 'is empty';
  const [address, prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return 'is not an IP address or CIDR range';
  if (prefix === undefined) return undefined;
  const max = family === 4 ? 32 : 128;
  if (!/^\d+$/.test(prefix) || Number(prefix) > max) return `has a prefix length outside 0..${max}`;
  return undefined;
}
