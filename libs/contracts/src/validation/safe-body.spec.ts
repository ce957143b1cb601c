import { ErrorCode } from '../errors/error-code';
import { GatehouseError } from '../errors/gatehouse.error';
import { assertSafeBody, MAX_BODY_DEPTH } from './safe-body';

function failure(body: unknown): GatehouseError | undefined {
  try {
    assertSafeBody(body);
    return undefined;
  } catch (err) {
    if (err instanceof GatehouseError) return err;
    throw err;
  }
}

function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

describe('assertSafeBody', () => {
  it('accepts ordinary bodies and scalars', () => {
    expect(
      failure({ payload: { choice: 'yes', patch: [{ op: 'add', path: '/a', value: { b: [1, 2] } }] }, dedupeKey: 'k' }),
    ).toBeUndefined();
    expect(failure(undefined)).toBeUndefined();
    expect(failure(nested(MAX_BODY_DEPTH))).toBeUndefined();
  });

  it.each([
    ['top level', JSON.parse('{"__proto__": {"x": 1}}'), '__proto__'],
    ['constructor', { goal: 'x', constructor: { name: 'y' } }, 'constructor'],
    ['nested', JSON.parse('{"payload": {"choice": "yes", "prototype": 1}}'), 'payload.prototype'],
    ['in an array', JSON.parse('{"inputs": {"list": [{"__proto__": {}}]}}'), 'inputs.list.0.__proto__'],
  ])('refuses a prototype key (%s) as VALIDATION_FAILED naming the field', (_name, body, field) => {
    const err = failure(body);
    expect(err?.code).toBe(ErrorCode.VALIDATION_FAILED);
    expect(err?.details).toEqual([expect.objectContaining({ field })]);
  });

  it('refuses nesting deeper than the limit without recursing (100k levels)', () => {
    expect(failure(nested(MAX_BODY_DEPTH + 1))?.code).toBe(ErrorCode.VALIDATION_FAILED);
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    expect(failure(deep)?.code).toBe(ErrorCode.VALIDATION_FAILED);
  });
});

describe('assertSafeBody and NUL characters', () => {
  it.each([
    [{ payload: { choice: 'yes', rationale: 'a\u0000b' } }, 'payload.rationale'],
    [{ inputs: { ['k\u0000']: 1 } }, 'inputs'],
    [['ok', '\u0000'], '1'],
  ])('refuses %j naming %s', (body, field) => {
    let caught: unknown;
    try {
      assertSafeBody(body);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(GatehouseError);
    expect((caught as GatehouseError).code).toBe(ErrorCode.VALIDATION_FAILED);
    expect((caught as GatehouseError).details).toEqual([{ field, errors: [expect.stringContaining('NUL')] }]);
  });
});

describe('assertSafeBody and inherited member names', () => {
  it.each(['toString', 'valueOf', 'hasOwnProperty', '__defineGetter__'])('refuses a field named %s', (key) => {
    expect(() => assertSafeBody({ payload: { choice: 'yes' }, dedupeKey: 'k', [key]: [] })).toThrow(GatehouseError);
  });
});
