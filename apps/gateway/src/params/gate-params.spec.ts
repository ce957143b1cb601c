import 'reflect-metadata';
import fc from 'fast-check';
import { ErrorCode, GatehouseError } from '@gatehouse/contracts';
import { parseGateKey, parseTimeoutS } from './gate-params';
import { isUuid, requireRunId } from './run-id';

function codeOf(fn: () => unknown): ErrorCode | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (err instanceof GatehouseError) return err.code;
    throw err;
  }
}

describe('parseTimeoutS', () => {
  it('accepts absence as 0 (no waiting)', () => {
    expect(parseTimeoutS(undefined)).toBe(0);
  });

  it('accepts every integer 0..30 written plainly', () => {
    for (let n = 0; n <= 30; n++) expect(parseTimeoutS(String(n))).toBe(n);
  });

  it.each(['31', '-1', '1.5', 'abc', '', ' 1', '1 ', '01', '+1', '1e1', '0x1', '30.0', '100', 'NaN', 'Infinity'])(
    'rejects %j with 400 INVALID_TIMEOUT',
    (raw) => {
      expect(codeOf(() => parseTimeoutS(raw))).toBe(ErrorCode.INVALID_TIMEOUT);
    },
  );

  it('rejects a repeated parameter (an array) and non-strings', () => {
    expect(codeOf(() => parseTimeoutS(['1', '2']))).toBe(ErrorCode.INVALID_TIMEOUT);
    expect(codeOf(() => parseTimeoutS(5))).toBe(ErrorCode.INVALID_TIMEOUT);
    expect(codeOf(() => parseTimeoutS({ a: '1' }))).toBe(ErrorCode.INVALID_TIMEOUT);
  });

  it('accepts exactly the strings of the integers 0..30 (property)', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const valid = /^\d+$/.test(s) && String(Number(s)) === s && Number(s) <= 30;
        expect(codeOf(() => parseTimeoutS(s))).toBe(valid ? undefined : ErrorCode.INVALID_TIMEOUT);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('parseGateKey', () => {
  it.each(['approve-plan', 'a', '0', 'deploy-prod-2', 'a'.repeat(63)])('accepts %j', (g) => {
    expect(parseGateKey(g)).toBe(g);
  });

  it.each(['', 'Approve_Plan', '-lead', 'a'.repeat(64), 'a b', 'a.b', 'a/b', 'é', 'APPROVE', undefined, 7])(
    'rejects %j with 400 INVALID_GATE_KEY',
    (g) => {
      expect(codeOf(() => parseGateKey(g))).toBe(ErrorCode.INVALID_GATE_KEY);
    },
  );
});

describe('requireRunId', () => {
  it('accepts any UUID and normalises it to lowercase', () => {
    expect(requireRunId('00000000-0000-4000-8000-00000000000A')).toBe('00000000-0000-4000-8000-00000000000a');
    expect(isUuid('c0ffee00-1234-5678-9abc-def012345678')).toBe(true);
  });

  it.each([
    'not-a-uuid',
    '',
    '00000000-0000-4000-8000-0000000000',
    '{00000000-0000-4000-8000-000000000000}',
    "1' OR '1'='1",
  ])('answers %j with 404 RUN_NOT_FOUND', (wid) => {
    expect(codeOf(() => requireRunId(wid))).toBe(ErrorCode.RUN_NOT_FOUND);
  });
});
