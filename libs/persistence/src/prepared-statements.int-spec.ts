import { Client } from 'pg';
import { QueryFailedError, type DataSource, type EntityManager } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../../../tools/test-support/database';
import { createDataSource } from './data-source';
import { MAX_NAMED_PER_CONNECTION, statementName } from './prepared';
import { execute, queryOne, queryRows } from './sql';
import { inTransaction, isRetryableDbError, isUnavailableDbError } from './transaction';

interface Prepared {
  name: string;
  statement: string;
  plans: number;
}

/** The statements prepared on the connection that runs this query, and how often each ran. */
async function preparedOn(db: Pick<EntityManager, 'query'>): Promise<Prepared[]> {
  return db.query(
    `SELECT name, statement, (generic_plans + custom_plans)::int AS plans FROM pg_prepared_statements ORDER BY name`,
  );
}

/** What a failed promise rejected with. */
async function failure(
  p: Promise<unknown>,
): Promise<QueryFailedError & { code?: string; driverError: { code?: string } }> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (err: unknown) => err as QueryFailedError & { code?: string; driverError: { code?: string } },
  );
}

describe('named statements through queryRows/queryOne/execute (real Postgres)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let admin: Client;
  const LOCK = 'SELECT id, n FROM public.items WHERE id = $1 FOR UPDATE';

  beforeAll(async () => {
    db = await createTestDatabase('persist_prepared');
    // One connection: every statement below runs on the same backend unless it is replaced.
    ds = createDataSource({ url: db.url, poolMax: 1 });
    await ds.initialize();
    admin = new Client({ connectionString: db.url });
    await admin.connect();
  });
  beforeEach(async () => {
    await admin.query('DROP TABLE IF EXISTS public.items');
    await admin.query('CREATE TABLE public.items (id int PRIMARY KEY, n int NOT NULL)');
    await admin.query('INSERT INTO public.items VALUES (1, 0), (2, 0)');
  });
  afterAll(async () => {
    await admin?.end();
    await ds?.destroy();
    await db?.drop();
  });

  it('parses a statement once per connection and reuses it inside a transaction', async () => {
    const prepared = await inTransaction(ds, async (tx) => {
      for (const id of [1, 2, 1]) expect(await queryRows(tx, LOCK, [id])).toEqual([{ id, n: 0 }]);
      return preparedOn(tx);
    });
    expect(prepared.filter((p) => p.statement === LOCK)).toEqual([
      { name: statementName(LOCK), statement: LOCK, plans: 3 },
    ]);
  });

  it('reuses it outside a transaction, through the DataSource and its manager alike', async () => {
    const sql = 'SELECT n FROM public.items WHERE id = $1';
    expect(await queryOne(ds, sql, [1])).toEqual({ n: 0 });
    expect(await queryOne(ds.manager, sql, [2])).toEqual({ n: 0 });
    expect(await queryOne(ds, sql, [3])).toBeNull();
    const mine = (await preparedOn(ds)).filter((p) => p.statement === sql);
    expect(mine).toEqual([{ name: statementName(sql), statement: sql, plans: 3 }]);
    // The connection went back to the pool each time: a transaction can take it.
    await inTransaction(ds, (tx) => queryRows(tx, sql, [1]));
  });

  it('answers with the rows TypeORM gave before', async () => {
    const cases: Array<[string, unknown[], unknown[]]> = [
      ['UPDATE public.items SET n = n + 1 WHERE id = $1', [1], []],
      ['UPDATE public.items SET n = n + 1 WHERE id = $1 RETURNING id, n', [2], [{ id: 2, n: 1 }]],
      ['INSERT INTO public.items VALUES ($1, 0) ON CONFLICT (id) DO NOTHING RETURNING 1 AS one', [1], []],
      ['INSERT INTO public.items VALUES ($1, 0) ON CONFLICT (id) DO NOTHING RETURNING 1 AS one', [7], [{ one: 1 }]],
      ['DELETE FROM public.items WHERE id = $1 RETURNING id', [7], [{ id: 7 }]],
      [
        'SELECT id, n, now() > $1::timestamptz AS later FROM public.items ORDER BY id',
        ['2000-01-01'],
        [
          { id: 1, n: 1, later: true },
          { id: 2, n: 1, later: true },
        ],
      ],
    ];
    await inTransaction(ds, async (tx) => {
      for (const [sql, params, expected] of cases) {
        // TypeORM's answer on the same rows, then undone, so the helper runs on the same state.
        await tx.query('SAVEPOINT typeorm');
        const raw: unknown = await tx.query(sql, params);
        await tx.query('ROLLBACK TO SAVEPOINT typeorm');
        const typeorm = Array.isArray(raw) && raw.length === 2 && typeof raw[1] === 'number' ? raw[0] : raw;
        const rows = await queryRows(tx, sql, params);
        expect(rows).toEqual(expected);
        expect(rows).toEqual(typeorm);
      }
    });
  });

  it('counts the rows a statement changed', async () => {
    await inTransaction(ds, async (tx) => {
      expect(await execute(tx, 'UPDATE public.items SET n = n + 1 WHERE id >= $1', [1])).toBe(2);
      expect(await execute(tx, 'UPDATE public.items SET n = n + 1 WHERE id = $1', [9])).toBe(0);
      expect(await execute(tx, 'INSERT INTO public.items VALUES ($1, 0) ON CONFLICT (id) DO NOTHING', [1])).toBe(0);
      expect(await execute(tx, 'INSERT INTO public.items VALUES ($1, 0) ON CONFLICT (id) DO NOTHING', [3])).toBe(1);
      expect(await execute(tx, 'DELETE FROM public.items WHERE id = $1', [3])).toBe(1);
    });
    expect(await admin.query('SELECT id, n FROM public.items ORDER BY id').then((r) => r.rows)).toEqual([
      { id: 1, n: 1 },
      { id: 2, n: 1 },
    ]);
  });

  it('surfaces a unique violation as TypeORM did: QueryFailedError, 23505, not retried', async () => {
    const sql = 'INSERT INTO public.items VALUES ($1, 0)';
    const viaTypeorm = await failure(inTransaction(ds, (tx) => tx.query(sql, [1])));
    let attempts = 0;
    const viaHelper = await failure(
      inTransaction(ds, async (tx) => {
        attempts++;
        await execute(tx, sql, [1]);
      }),
    );
    expect(attempts).toBe(1);
    for (const err of [viaTypeorm, viaHelper]) {
      expect(err).toBeInstanceOf(QueryFailedError);
      expect(err).toMatchObject({ code: '23505', constraint: 'items_pkey', driverError: { code: '23505' } });
    }
    expect(viaHelper.message).toBe(viaTypeorm.message);
    expect(isRetryableDbError(viaHelper)).toBe(false);
    expect(isUnavailableDbError(viaHelper)).toBe(false);
    // The same named statement keeps working on that connection.
    expect(await execute(ds, sql, [3])).toBe(1);
  });

  it('surfaces a lock timeout as 55P03, named or not', async () => {
    const other = createDataSource({ url: db.url, poolMax: 1 });
    await other.initialize();
    await admin.query('BEGIN');
    try {
      await admin.query('SELECT 1 FROM public.items WHERE id = 1 FOR UPDATE');
      const attempt = (run: (tx: EntityManager) => Promise<unknown>) =>
        failure(
          inTransaction(other, async (tx) => {
            await tx.query(`SET LOCAL lock_timeout = '50ms'`);
            await run(tx);
          }),
        );
      const viaTypeorm = await attempt((tx) => tx.query(LOCK, [1]));
      // Twice: the first parses the named statement, the second reuses it.
      const viaHelper = [
        await attempt((tx) => queryRows(tx, LOCK, [1])),
        await attempt((tx) => queryRows(tx, LOCK, [1])),
      ];
      for (const err of [viaTypeorm, ...viaHelper]) {
        expect(err).toBeInstanceOf(QueryFailedError);
        expect(err).toMatchObject({ code: '55P03', driverError: { code: '55P03' } });
        expect(err.message).toBe(viaTypeorm.message);
      }
      expect((await preparedOn(other.manager)).map((p) => p.statement)).toContain(LOCK);
    } finally {
      await admin.query('ROLLBACK');
      await other.destroy();
    }
  });

  it('retries the victim of a deadlock between named statements', async () => {
    const other = createDataSource({ url: db.url, poolMax: 1 });
    await other.initialize();
    const BUMP = 'UPDATE public.items SET n = n + 1 WHERE id = $1';
    let attempts = 0;
    let locked = 0;
    let bothLockedFirst: () => void = () => undefined;
    const barrier = new Promise<void>((r) => (bothLockedFirst = r));
    const transfer = (source: DataSource, first: number, second: number) =>
      inTransaction(source, async (tx) => {
        const attempt = ++attempts;
        await execute(tx, BUMP, [first]);
        if (attempt <= 2) {
          if (++locked === 2) bothLockedFirst();
          await barrier;
        }
        await execute(tx, BUMP, [second]);
      });
    try {
      await Promise.all([transfer(ds, 1, 2), transfer(other, 2, 1)]);
    } finally {
      await other.destroy();
    }
    expect(attempts).toBe(3);
    expect((await admin.query('SELECT id, n FROM public.items ORDER BY id')).rows).toEqual([
      { id: 1, n: 2 },
      { id: 2, n: 2 },
    ]);
  });

  it('keeps a statement that failed to parse failing the same way, and the connection usable', async () => {
    const bad = 'SELECT n FROM public.items WHERE id = $1 AND';
    for (let i = 0; i < 2; i++) {
      const err = await failure(queryRows(ds, bad, [1]));
      expect(err).toBeInstanceOf(QueryFailedError);
      expect(err.code).toBe('42601');
    }
    expect((await preparedOn(ds)).map((p) => p.statement)).not.toContain(bad);
    expect(await queryRows(ds, 'SELECT n FROM public.items WHERE id = $1', [1])).toEqual([{ n: 0 }]);
  });

  it('reports a connection that died under a transaction as unavailable', async () => {
    const err = await failure(
      inTransaction(ds, async (tx) => {
        const me = await queryOne<{ pid: number }>(tx, 'SELECT pg_backend_pid() AS pid');
        await admin.query('SELECT pg_terminate_backend($1)', [me!.pid]);
        await queryRows(tx, 'SELECT n FROM public.items WHERE id = $1', [1]);
      }),
    );
    expect(isUnavailableDbError(err)).toBe(true);
    // The pool replaced the connection; the statement is parsed again on the new one.
    expect(await queryRows(ds, 'SELECT n FROM public.items WHERE id = $1', [1])).toEqual([{ n: 0 }]);
  });

  it('refuses a transaction manager used after its transaction ended, as TypeORM does', async () => {
    let kept: EntityManager | undefined;
    await inTransaction(ds, async (tx) => {
      kept = tx;
    });
    const viaTypeorm = await failure(kept!.query('SELECT 1'));
    const viaHelper = await failure(queryRows(kept!, 'SELECT 1'));
    expect(viaHelper.name).toBe(viaTypeorm.name);
    expect(isUnavailableDbError(viaHelper)).toBe(true);
  });

  it('parses again on a new connection after the old one was replaced', async () => {
    const sql = 'SELECT n + $2::int AS m FROM public.items WHERE id = $1';
    expect(await queryRows(ds, sql, [1, 5])).toEqual([{ m: 5 }]);
    const { pid } = (await queryOne<{ pid: number }>(ds, 'SELECT pg_backend_pid() AS pid'))!;
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    const pool = (ds.driver as unknown as { master: { totalCount: number } }).master;
    for (let i = 0; pool.totalCount > 0 && i < 100; i++) await new Promise((r) => setTimeout(r, 20));
    expect(pool.totalCount).toBe(0);
    expect(await queryRows(ds, sql, [1, 6])).toEqual([{ m: 6 }]);
    const again = await queryOne<{ pid: number }>(ds, 'SELECT pg_backend_pid() AS pid');
    expect(again!.pid).not.toBe(pid);
    expect((await preparedOn(ds)).filter((p) => p.statement === sql)).toEqual([
      { name: statementName(sql), statement: sql, plans: 1 },
    ]);
  });

  it('runs a statement again after its table changed under a prepared SELECT *', async () => {
    const outside = 'SELECT * FROM public.items WHERE id = $1';
    const inside = 'SELECT * FROM public.items WHERE id = $1 AND n >= 0';
    const other = createDataSource({ url: db.url, poolMax: 1 });
    await other.initialize();
    try {
      for (const source of [ds, other]) {
        expect(await queryRows(source, outside, [1])).toEqual([{ id: 1, n: 0 }]);
        expect(await queryRows(source, inside, [1])).toEqual([{ id: 1, n: 0 }]);
      }
      await admin.query('ALTER TABLE public.items ADD COLUMN note text');
      // Outside a transaction nothing ran: retried at once.
      expect(await queryRows(ds, outside, [1])).toEqual([{ id: 1, n: 0, note: null }]);
      // Inside one the transaction is lost: inTransaction runs it again, and the text then runs unnamed.
      let attempts = 0;
      const rows = await inTransaction(ds, async (tx) => {
        attempts++;
        return queryRows(tx, inside, [2]);
      });
      expect(rows).toEqual([{ id: 2, n: 0, note: null }]);
      expect(attempts).toBe(2);
      // Another connection that prepared the same text does not fail it a second time.
      attempts = 0;
      const elsewhere = await inTransaction(other, async (tx) => {
        attempts++;
        return queryRows(tx, inside, [1]);
      });
      expect(elsewhere).toEqual([{ id: 1, n: 0, note: null }]);
      expect(attempts).toBe(1);
    } finally {
      await other.destroy();
    }
  });

  it('names at most MAX_NAMED_PER_CONNECTION statements on a connection, then runs the rest unnamed', async () => {
    // A fresh connection, so earlier tests' statements do not count.
    const fresh = createDataSource({ url: db.url, poolMax: 1 });
    await fresh.initialize();
    try {
      const total = MAX_NAMED_PER_CONNECTION + 25;
      for (let i = 0; i < total; i++) {
        expect(await queryOne(fresh, `SELECT $1::int + ${i} AS v`, [1])).toEqual({ v: 1 + i });
      }
      // One of them again: still named, still answering.
      expect(await queryOne(fresh, `SELECT $1::int + 0 AS v`, [2])).toEqual({ v: 2 });
      const prepared = await preparedOn(fresh.manager);
      expect(prepared).toHaveLength(MAX_NAMED_PER_CONNECTION);
      expect(prepared.find((p) => p.statement === 'SELECT $1::int + 0 AS v')?.plans).toBe(2);
      expect(prepared.some((p) => p.statement === `SELECT $1::int + ${total - 1} AS v`)).toBe(false);
    } finally {
      await fresh.destroy();
    }
  });

  it('leaves a statement unnamed when the caller opts out', async () => {
    const sql = 'SELECT n FROM public.items WHERE id = ANY($1::int[]) ORDER BY id';
    expect(await queryRows(ds, sql, [[1, 2]], { prepare: false })).toEqual([{ n: 0 }, { n: 0 }]);
    expect((await preparedOn(ds)).map((p) => p.statement)).not.toContain(sql);
  });
});
