import type { IncomingMessage } from 'node:http';
import { ErrorCode, GatehouseError } from '@gatehouse/contracts';
import { parseJsonBody, requireJsonBody } from './json-body';

function refusedWith(headers: Record<string, string | undefined>): unknown {
  let passed: unknown = 'not called';
  requireJsonBody({ headers } as unknown as IncomingMessage, {} as never, (err) => (passed = err));
  return passed;
}

describe('parseJsonBody', () => {
  it('reads objects and arrays', () => {
    expect(parseJsonBody(' {"a":[1,{"b":null}]}')).toEqual({ a: [1, { b: null }] });
    expect(parseJsonBody('[1,2]')).toEqual([1, 2]);
  });

  it('reads an empty body as no body', () => {
    expect(parseJsonBody('')).toBeUndefined();
    expect(parseJsonBody(' \n')).toBeUndefined();
  });

  it.each(['"just a string"', '42', 'true', 'null', '{"a":', '{"a":1}}', "{'a':1}"])(
    'refuses %s as INVALID_JSON without quoting it',
    (text) => {
      let thrown: unknown;
      try {
        parseJsonBody(text);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(GatehouseError);
      expect((thrown as GatehouseError).code).toBe(ErrorCode.INVALID_JSON);
      expect((thrown as GatehouseError).message).not.toContain(text);
    },
  );

  it('keeps a __proto__ key as plain data for the validation pipe to refuse', () => {
    const body = parseJsonBody('{"__proto__":{"admin":true}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(body)).toBe(Object.prototype);
    expect(Object.keys(body)).toEqual(['__proto__']);
  });
});

describe('requireJsonBody', () => {
  const body = { 'content-length': '10' };

  it.each([
    { ...body, 'content-type': 'application/json' },
    { ...body, 'content-type': 'application/json; charset=utf-8' },
    { ...body, 'content-type': 'application/merge-patch+json' },
    { ...body, 'content-type': 'application/json', 'content-encoding': 'identity' },
    { 'content-type': 'text/plain' },
    {},
  ])('lets %j through', (headers) => {
    expect(refusedWith(headers)).toBeUndefined();
  });

  it.each([
    { ...body, 'content-type': 'text/plain' },
    { ...body },
    { 'transfer-encoding': 'chunked', 'content-type': 'application/x-www-form-urlencoded' },
    { ...body, 'content-type': 'application/json; charset=latin1' },
    { ...body, 'content-type': 'application/json', 'content-encoding': 'gzip' },
  ])('refuses %j as 415 UNSUPPORTED_MEDIA_TYPE', (headers) => {
    expect(refusedWith(headers)).toMatchObject({ code: ErrorCode.UNSUPPORTED_MEDIA_TYPE });
  });
});
