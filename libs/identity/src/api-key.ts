import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * API keys: `gatehouse_key_` + 43 base62 characters of randomness (256 bits) + a 6-character base62
 * CRC32 of them. The prefix lets people and secret scanners recognise a leaked key; the checksum
 * lets them reject a look-alike offline. Only the SHA-256 of a key is stored.
 */
export const API_KEY_PREFIX = 'gatehouse_key_';
const RANDOM_CHARS = 43;
const CHECKSUM_CHARS = 6;
/** How much of a key lists show: the prefix and the first random characters. */
const VISIBLE_CHARS = 6;
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const KEY_SHAPE = new RegExp(`^${API_KEY_PREFIX}([0-9A-Za-z]{${RANDOM_CHARS}})([0-9A-Za-z]{${CHECKSUM_CHARS}})$`);

function base62(value: bigint, width: number): string {
  let out = '';
  for (let v = value; v > 0n; v /= 62n) out = ALPHABET[Number(v % 62n)] + out;
  return out.padStart(width, '0');
}

function checksum(random: string): string {
  return base62(BigInt(crc32(random)), CHECKSUM_CHARS);
}

/** A new random key (shown once, to its creator). */
export function generateApiKey(): string {
  const random = base62(BigInt(`0x${randomBytes(32).toString('hex')}`), RANDOM_CHARS);
  return `${API_KEY_PREFIX}${random}${checksum(random)}`;
}

/** True when `value` has the key format and its checksum matches (no lookup). */
export function isWellFormedApiKey(value: string): boolean {
  const m = KEY_SHAPE.exec(value);
  if (!m) return false;
  const expected = Buffer.from(checksum(m[1]));
  const given = Buffer.from(m[2]);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** Lowercase hex SHA-256: what the key table stores and looks keys up by. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The part of a key that lists may show (it identifies the key, it does not let anyone use it). */
export function visiblePrefix(key: string): string {
  return key.slice(0, API_KEY_PREFIX.length + VISIBLE_CHARS);
}

/** Constant-time equality of two hex digests. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
