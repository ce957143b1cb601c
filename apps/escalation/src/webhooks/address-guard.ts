import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * Where a webhook may not go unless WEBHOOK_ALLOW_PRIVATE=true: the operator's own network.
 * Loopback, private (RFC 1918, unique-local), link-local (cloud metadata at 169.254.169.254),
 * carrier-grade NAT, unspecified, multicast, reserved and documentation ranges.
 */
const BLOCKED = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  BLOCKED.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['100::', 64],
  ['2001:db8::', 32],
  ['64:ff9b:1::', 48],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  BLOCKED.addSubnet(net, prefix, 'ipv6');
}

/** The eight 16-bit words of a valid IPv6 address (a trailing dotted IPv4 part included). */
function ipv6Words(address: string): number[] {
  let text = address.replace(/%.*$/, '');
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const parts = (p: string | undefined) => (p ? p.split(':') : []);
  const fill = tail === undefined ? 0 : 8 - parts(head).length - parts(tail).length;
  return [...parts(head), ...Array<string>(fill).fill('0'), ...parts(tail)].map((w) => parseInt(w, 16));
}

const ipv4Of = (hi: number, lo: number) => [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');

/**
 * The IPv4 address an IPv6 address reaches: IPv4-mapped (::ffff:0:0/96), IPv4-compatible (::/96),
 * NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry one, and the network may deliver them to it.
 */
function embeddedIpv4(address: string): string | undefined {
  const w = ipv6Words(address);
  const zero = (from: number, to: number) => w.slice(from, to).every((x) => x === 0);
  if (zero(0, 5) && (w[5] === 0 || w[5] === 0xffff)) return ipv4Of(w[6], w[7]);
  if (w[0] === 0x64 && w[1] === 0xff9b && zero(2, 6)) return ipv4Of(w[6], w[7]);
  if (w[0] === 0x2002) return ipv4Of(w[1], w[2]);
  return undefined;
}

/** True for an address a webhook may not reach (an IPv6 address carrying an IPv4 one is judged as that too). */
export function isBlockedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  if (family === 4) return BLOCKED.check(address, 'ipv4');
  const ipv4 = embeddedIpv4(address);
  return (ipv4 !== undefined && BLOCKED.check(ipv4, 'ipv4')) || BLOCKED.check(address, 'ipv6');
}

export class AddressRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AddressRefusedError';
  }
}

/** The URL's host without IPv6 brackets. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/**
 * Checks a webhook URL before it is registered: https (http only when private addresses are
 * allowed), no credentials in it, and every address its name resolves to outside the blocked
 * ranges. Throws AddressRefusedError with the reason.
 */
export async function checkWebhookUrl(raw: string, allowPrivate: boolean): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AddressRefusedError('url is not a valid URL');
  }
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) {
    throw new AddressRefusedError('url must be https://');
  }
  if (url.username || url.password) throw new AddressRefusedError('url must not carry credentials');
  if (allowPrivate) return url;
  const host = hostOf(url);
  const addresses = isIP(host) ? [host] : await resolveAll(host);
  const blocked = addresses.find(isBlockedAddress);
  if (blocked) throw new AddressRefusedError(`url resolves to a private or loopback address (${blocked})`);
  return url;
}

function resolveAll(host: string): Promise<string[]> {
  return new Promise((resolve, reject) =>
    dnsLookup(host, { all: true, verbatim: true }, (err, addresses) => {
      if (err || addresses.length === 0) reject(new AddressRefusedError(`url host ${host} does not resolve`));
      else resolve(addresses.map((a) => a.address));
    }),
  );
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http.request that refuses blocked addresses at connection time, so that a name
 * that resolved to a public address at registration cannot be pointed at the operator's network
 * later (DNS rebinding): the socket connects to the very address checked here.
 */
export function guardedLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    const blocked = addresses.find((a) => isBlockedAddress(a.address));
    if (blocked) {
      return callback(
        new AddressRefusedError(`${hostname} resolves to a private or loopback address (${blocked.address})`),
        [],
      );
    }
    if (options.all) return callback(null, addresses);
    callback(null, addresses[0].address, addresses[0].family);
  });
}
