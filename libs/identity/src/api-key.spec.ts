import { API_KEY_PREFIX, generateApiKey, hashApiKey, isWellFormedApiKey, sameDigest, visiblePrefix } from './api-key';

describe('API keys', () => {
  it('have the product prefix, 43 random base62 characters and a 6-character checksum', () => {
    const key = generateApiKey();
    expect(key).toMatch(/^gatehouse_key_[0-9A-Za-z]{49}$/);
    expect(isWellFormedApiKey(key)).toBe(true);
  });

  it('are different every time', () => {
    const keys = new Set(Array.from({ length: 200 }, generateApiKey));
    expect(keys.size).toBe(200);
  });

  it('reject a look-alike whose checksum does not match, offline', () => {
    const key = generateApiKey();
    const flipped = key.slice(0, 20) + (key[20] === 'a' ? 'b' : 'a') + key.slice(21);
    expect(isWellFormedApiKey(flipped)).toBe(false);
    expect(isWellFormedApiKey(key.slice(0, -1))).toBe(false);
    expect(isWellFormedApiKey(`${key}x`)).toBe(false);
    expect(isWellFormedApiKey(key.replace(API_KEY_PREFIX, 'gatehouse_kez_'))).toBe(false);
  });

  it('are stored as lowercase hex SHA-256 and listed by a short prefix', () => {
    const key = generateApiKey();
    expect(hashApiKey(key)).toMatch(/^[a-f0-9]{64}$/);
    expect(hashApiKey(key)).toBe(hashApiKey(key));
    expect(visiblePrefix(key)).toBe(key.slice(0, API_KEY_PREFIX.length + 6));
    expect(key.length - visiblePrefix(key).length).toBeGreaterThanOrEqual(43);
  });

  it('compares digests in constant time and exactly', () => {
    const h = hashApiKey('a');
    expect(sameDigest(h, hashApiKey('a'))).toBe(true);
    expect(sameDigest(h, hashApiKey('b'))).toBe(false);
    expect(sameDigest(h, h.slice(1))).toBe(false);
  });
});
