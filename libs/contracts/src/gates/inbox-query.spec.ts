import { ErrorCode } from '../errors/error-code';
import { GatehouseError } from '../errors/gatehouse.error';
import { checkInboxQuery, decodeInboxCursor, encodeInboxCursor, parseInboxParams } from './inbox-query';

const me = { id: 'key:alice', roles: ['reviewer'] };

function codeOf(fn: () => unknown): ErrorCode | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof GatehouseError) return err.code;
    throw err;
  }
  return undefined;
}

describe('inbox parameters', () => {
  it('defaults to PENDING, 50 per page, everyone', () => {
    expect(parseInboxParams({}, me)).toEqual({ state: 'PENDING', limit: 50 });
  });

  it('parses every filter, and mine=true names the caller', () => {
    const cursor = encodeInboxCursor({
      deadlineAt: '2026-12-06T07:00:00.123456Z',
      workflowId: '3F1D2C4B-0000-4000-8000-000000000000',
      gateKey: 'approve-plan',
    });
    expect(
      parseInboxParams(
        {
          state: 'TIMED_OUT',
          recipe: 'deploy',
          riskLevel: 'high',
          partition: 'tenant-a',
          olderThanS: '600',
          mine: 'true',
          limit: '200',
          cursor,
        },
        me,
      ),
    ).toEqual({
      state: 'TIMED_OUT',
      recipe: 'deploy',
      riskLevel: 'high',
      partition: 'tenant-a',
      olderThanS: 600,
      decider: me,
      limit: 200,
      cursor,
    });
    expect(parseInboxParams({ mine: 'false' }, me).decider).toBeUndefined();
  });

  it('round-trips a cursor with microseconds, lower-casing the run id', () => {
    const p = {
      deadlineAt: '2026-12-06T07:00:00.000001Z',
      workflowId: '3F1D2C4B-0000-4000-8000-00000000000A',
      gateKey: 'g-1',
    };
    expect(decodeInboxCursor(encodeInboxCursor(p))).toEqual({ ...p, workflowId: p.workflowId.toLowerCase() });
  });

  it.each([
    [{ limit: '0' }, ErrorCode.INVALID_LIMIT],
    [{ limit: '201' }, ErrorCode.INVALID_LIMIT],
    [{ limit: '07' }, ErrorCode.INVALID_LIMIT],
    [{ limit: ' 5' }, ErrorCode.INVALID_LIMIT],
    [{ cursor: 'e30' }, ErrorCode.INVALID_CURSOR],
    [{ cursor: Buffer.from('["2026-12-06T07:00:00Z","x","y"]').toString('base64url') }, ErrorCode.INVALID_CURSOR],
    [{ cursor: 'a+b' }, ErrorCode.INVALID_CURSOR],
    [{ state: 'pending' }, ErrorCode.INVALID_FILTER],
    [{ riskLevel: 'CRITICAL' }, ErrorCode.INVALID_FILTER],
    [{ olderThanS: '999999999999' }, ErrorCode.INVALID_FILTER],
    [{ mine: '1' }, ErrorCode.INVALID_FILTER],
    [{ limit: ['1', '2'] }, ErrorCode.INVALID_FILTER],
    [{ sort: 'deadline' }, ErrorCode.INVALID_FILTER],
  ])('refuses %j with %s', (query, code) => {
    expect(codeOf(() => parseInboxParams(query as Record<string, unknown>, me))).toBe(code);
  });

  it('the gates service checks the request again and trusts none of it', () => {
    expect(checkInboxQuery({ state: 'PENDING', limit: 10, decider: me })).toEqual({
      state: 'PENDING',
      limit: 10,
      decider: me,
    });
    expect(codeOf(() => checkInboxQuery({ state: 'PENDING', limit: 1000 }))).toBe(ErrorCode.INVALID_LIMIT);
    expect(codeOf(() => checkInboxQuery({ state: 'PENDING', limit: 1, decider: { id: 'x' } }))).toBe(
      ErrorCode.INVALID_FILTER,
    );
    expect(codeOf(() => checkInboxQuery(null))).toBe(ErrorCode.INVALID_FILTER);
  });
});
