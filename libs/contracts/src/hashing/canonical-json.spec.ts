import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { canonicalJson, payloadHash } from './canonical-json';

/** Rebuilds every object of `value` with its keys in reverse insertion order. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).reverse()) {
    // defineProperty, so that a generated "__proto__" key stays an own member.
    Object.defineProperty(out, k, {
      value: reverseKeys((value as Record<string, unknown>)[k]),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

describe('canonicalJson', () => {
  it('sorts keys and drops whitespace', () => {
    expect(canonicalJson({ b: 1, a: 'x', c: [true, null] })).toBe('{"a":"x","b":1,"c":[true,null]}');
  });

  it('sorts nested objects, including inside arrays', () => {
    expect(canonicalJson({ z: { y: 1, x: [{ b: 2, a: 1 }] }, a: {} })).toBe('{"a":{},"z":{"x":[{"a":1,"b":2}],"y":1}}');
  });

  it('keeps array order: arrays are sequences, not sets', () => {
    expect(canonicalJson([2, 1])).not.toBe(canonicalJson([1, 2]));
  });

  it('drops undefined members and writes undefined array items as null, like JSON.stringify', () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
    expect(canonicalJson([undefined, 1])).toBe('[null,1]');
    expect(canonicalJson(undefined)).toBe('null');
  });

  it('sorts by code unit, not locale', () => {
    expect(canonicalJson({ b: 1, B: 2, a: 3, é: 4 })).toBe('{"B":2,"a":3,"b":1,"é":4}');
  });

  it('keeps a "__proto__" key as data', () => {
    expect(canonicalJson(JSON.parse('{"b":1,"__proto__":{"x":1}}'))).toBe('{"__proto__":{"x":1},"b":1}');
  });

  it('escapes keys and strings as JSON does', () => {
    const v = { 'k"\n': 'line\nbreak "q"' };
    expect(canonicalJson(v)).toBe(JSON.stringify(v));
    expect(JSON.parse(canonicalJson(v))).toEqual(v);
  });

  it('is independent of key order and round-trips (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const c = canonicalJson(v);
        expect(canonicalJson(reverseKeys(v))).toBe(c);
        // Same meaning: parsing it back gives an equal value (-0 is written as 0 by JSON).
        expect(JSON.parse(c)).toEqual(JSON.parse(JSON.stringify(v)));
        // Canonical of canonical is itself.
        expect(canonicalJson(JSON.parse(c))).toBe(c);
      }),
      { numRuns: 300 },
    );
  });
});

describe('payloadHash', () => {
  it('is the sha-256 of the canonical JSON in 64 lowercase hex digits', () => {
    const v = { b: [1, { d: 'x', c: null }], a: true };
    const h = payloadHash(v);
    expect(h).toMatch(/^[a-f0-9]{64}$/);
    expect(h).toBe(createHash('sha256').update('{"a":true,"b":[1,{"c":null,"d":"x"}]}').digest('hex'));
  });

  it('is the same for the same meaning and different for a different one (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        const ha = payloadHash(a);
        expect(ha).toMatch(/^[a-f0-9]{64}$/);
        expect(payloadHash(reverseKeys(a))).toBe(ha);
        if (canonicalJson(a) !== canonicalJson(b)) expect(payloadHash(b)).not.toBe(ha);
      }),
      { numRuns: 300 },
    );
  });

  it('tells apart values that differ only in a nested key or an array order', () => {
    expect(payloadHash({ a: { b: 1 } })).not.toBe(payloadHash({ a: { c: 1 } }));
    expect(payloadHash({ a: [1, 2] })).not.toBe(payloadHash({ a: [2, 1] }));
    expect(payloadHash('1')).not.toBe(payloadHash(1));
  });
});
