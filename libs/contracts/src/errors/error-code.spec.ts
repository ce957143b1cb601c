import { ERROR_STATUS, ErrorCode, isErrorCode } from './error-code';
import { GatehouseError } from './gatehouse.error';

describe('ERROR_STATUS', () => {
  const codes = Object.values(ErrorCode);

  it('maps every ErrorCode and nothing else', () => {
    expect(Object.keys(ERROR_STATUS).sort()).toEqual([...codes].sort());
  });

  it.each(codes)('%s has an HTTP error status', (code) => {
    const status = ERROR_STATUS[code];
    expect(Number.isInteger(status)).toBe(true);
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(600);
  });

  it('answers 500 only for INTERNAL_ERROR: every expected error has a 4xx or 503', () => {
    expect(codes.filter((c) => ERROR_STATUS[c] === 500)).toEqual([ErrorCode.INTERNAL_ERROR]);
  });

  it('uses the code itself as the string value, so the wire format is stable', () => {
    for (const code of codes) expect(ErrorCode[code as keyof typeof ErrorCode]).toBe(code);
  });
});

describe('isErrorCode', () => {
  it('accepts every code and rejects anything else', () => {
    for (const code of Object.values(ErrorCode)) expect(isErrorCode(code)).toBe(true);
    for (const v of ['nope', 'toString', '__proto__', 'constructor', '', 42, null, undefined, {}])
      expect(isErrorCode(v)).toBe(false);
  });
});

describe('GatehouseError body', () => {
  it('round-trips through its body', () => {
    const err = new GatehouseError(ErrorCode.GATE_CLOSED, 'closed', { gate: 'g1' });
    const back = GatehouseError.fromBody(JSON.parse(JSON.stringify(err.toBody())));
    expect(back).toBeInstanceOf(GatehouseError);
    expect(back).toMatchObject({ code: ErrorCode.GATE_CLOSED, message: 'closed', details: { gate: 'g1' } });
    expect(new GatehouseError(ErrorCode.GATE_CLOSED, 'x').toBody()).toEqual({ error: 'GATE_CLOSED', message: 'x' });
  });

  it('does not treat an unknown body as a GatehouseError', () => {
    expect(GatehouseError.fromBody({ error: 'BOGUS', message: 'x' })).toBeUndefined();
    expect(GatehouseError.fromBody('GATE_CLOSED')).toBeUndefined();
    expect(GatehouseError.fromBody(null)).toBeUndefined();
  });
});
