import { isRetryableDbError, isUnavailableDbError } from './transaction';

describe('isRetryableDbError', () => {
  it.each(['40001', '40P01'])('retries SQLSTATE %s', (code) => expect(isRetryableDbError({ code })).toBe(true));
  it.each(['23505', '42P01', '57P01', undefined])('does not retry %s', (code) =>
    expect(isRetryableDbError({ code })).toBe(false),
  );
  it('handles non-objects', () => {
    expect(isRetryableDbError(null)).toBe(false);
    expect(isRetryableDbError('40001')).toBe(false);
  });
});

describe('isUnavailableDbError', () => {
  it.each(['53300', '57P01', '57P03', '08000', '08003', '08006', 'ECONNREFUSED', 'ECONNRESET'])(
    'maps %s to unavailable',
    (code) => expect(isUnavailableDbError({ code })).toBe(true),
  );
  it('maps pool exhaustion and dropped connections by message', () => {
    expect(isUnavailableDbError(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isUnavailableDbError(new Error('Connection terminated unexpectedly'))).toBe(true);
  });
  it.each([{ code: '23505' }, { code: '22P02' }, new Error('syntax error'), null, undefined])(
    'does not map %p',
    (err) => expect(isUnavailableDbError(err)).toBe(false),
  );
});
