import 'reflect-metadata';
import { ErrorCode, GatehouseError } from '@gatehouse/contracts';
import { fromRpcError, toErrorBody } from './rpc-error';

describe('toErrorBody', () => {
  it('passes a GatehouseError through with its code', () => {
    expect(toErrorBody(new GatehouseError(ErrorCode.GATE_NOT_FOUND, 'no such gate'))).toEqual({
      body: { error: 'GATE_NOT_FOUND', message: 'no such gate' },
      unexpected: false,
    });
  });

  it('answers SERVICE_UNAVAILABLE for an unreachable or saturated database', () => {
    for (const err of [
      { code: 'ECONNREFUSED' },
      { code: '53300' },
      new Error('timeout exceeded when trying to connect'),
      // Postgres killed mid-transaction (seen in e2e/chaos/long/full-chaos as a 500 before).
      Object.assign(new Error('Database connection provided by a query runner was already released'), {
        name: 'QueryRunnerProviderAlreadyReleasedError',
      }),
      new Error('Client has encountered a connection error and is not queryable'),
    ]) {
      expect(toErrorBody(err)).toEqual({
        body: { error: ErrorCode.SERVICE_UNAVAILABLE, message: expect.any(String) },
        unexpected: false,
      });
    }
  });

  it('hides anything else behind INTERNAL_ERROR and flags it', () => {
    const { body, unexpected } = toErrorBody(new TypeError('x is undefined at /secret/path.ts'));
    expect(body).toEqual({ error: ErrorCode.INTERNAL_ERROR, message: 'internal error' });
    expect(unexpected).toBe(true);
  });
});

describe('fromRpcError', () => {
  it('rebuilds a GatehouseError from an error body', () => {
    const err = fromRpcError({ error: 'DEDUPE_CONFLICT', message: 'different payload' });
    expect(err).toBeInstanceOf(GatehouseError);
    expect(err).toMatchObject({ code: ErrorCode.DEDUPE_CONFLICT, message: 'different payload' });
  });

  it.each([
    new Error('TIMEOUT'),
    new Error('503 no responders'),
    Object.assign(new Error('x'), { name: 'TimeoutError' }),
    new Error('connection closed'),
  ])('maps a transport failure (%s) to SERVICE_UNAVAILABLE', (err) =>
    expect(fromRpcError(err).code).toBe(ErrorCode.SERVICE_UNAVAILABLE),
  );

  it('maps an unknown error body to INTERNAL_ERROR', () => {
    expect(fromRpcError({ error: 'NOT_A_CODE', message: 'x' }).code).toBe(ErrorCode.INTERNAL_ERROR);
  });
});
