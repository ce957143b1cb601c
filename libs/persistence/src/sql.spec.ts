import { isStalePreparedStatementError, statementName } from './prepared';
import { execute, queryOne, queryRows, type Db } from './sql';

/** Something with TypeORM's `query` shape that is not an EntityManager or DataSource. */
function fake(answer: unknown): Db & { calls: unknown[][] } {
  const calls: unknown[][] = [];
  return {
    calls,
    query: (async (...args: unknown[]) => {
      calls.push(args);
      return answer;
    }) as Db['query'],
  };
}

describe('queryRows/queryOne/execute on a plain query function', () => {
  it('passes the statement through unnamed and unwraps UPDATE/DELETE answers', async () => {
    const updated = fake([[{ id: 1 }], 3]);
    expect(await queryRows(updated, 'UPDATE t SET a = $1 RETURNING id', [2])).toEqual([{ id: 1 }]);
    expect(updated.calls).toEqual([['UPDATE t SET a = $1 RETURNING id', [2]]]);
    expect(await execute(updated, 'UPDATE t SET a = $1', [2])).toBe(3);
  });

  it('returns rows as given for other statements', async () => {
    const selected = fake([{ a: 1 }, { a: 2 }]);
    expect(await queryRows(selected, 'SELECT a FROM t')).toEqual([{ a: 1 }, { a: 2 }]);
    expect(await queryOne(selected, 'SELECT a FROM t')).toEqual({ a: 1 });
    expect(await queryOne(fake([]), 'SELECT a FROM t')).toBeNull();
  });
});

describe('statementName', () => {
  it('is deterministic, distinct per text, and a valid identifier', () => {
    const a = statementName('SELECT 1');
    expect(statementName('SELECT 1')).toBe(a);
    expect(statementName('SELECT 2')).not.toBe(a);
    expect(a).toMatch(/^gh_[0-9a-f]{20}$/);
  });
});

describe('isStalePreparedStatementError', () => {
  it('matches only the stale-plan refusal', () => {
    expect(isStalePreparedStatementError({ code: '0A000', message: 'cached plan must not change result type' })).toBe(
      true,
    );
    expect(isStalePreparedStatementError({ code: '0A000', message: 'FOR UPDATE is not allowed with GROUP BY' })).toBe(
      false,
    );
    expect(isStalePreparedStatementError({ code: '23505', message: 'cached plan must not change result type' })).toBe(
      false,
    );
    expect(isStalePreparedStatementError(null)).toBe(false);
  });
});
