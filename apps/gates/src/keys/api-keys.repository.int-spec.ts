import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { generateApiKey, hashApiKey, visiblePrefix } from '@gatehouse/identity';
import type { Db } from '@gatehouse/persistence';
import { createTestDatabase, type TestDatabase } from '../../../../tools/test-support/database';
import { ApiKeysRepository, type NewApiKey } from './api-keys.repository';

const newKey = (roles: string[], name = 'k'): NewApiKey & { key: string } => {
  const key = generateApiKey();
  return { id: randomUUID(), name, roles, hash: hashApiKey(key), prefix: visiblePrefix(key), createdBy: 'test', key };
};

/** The key table against the real database: only digests, revocation, bootstrap once. */
describe('ApiKeysRepository (integration)', () => {
  let test: TestDatabase;
  /** The repository's statements run on the test database's connection. */
  let db: Db;
  const repo = new ApiKeysRepository();
  const asDb = (t: TestDatabase) => t as unknown as Db;

  beforeAll(async () => {
    test = await createTestDatabase('gates_keys');
    db = asDb(test);
  });

  afterAll(() => test?.drop());

  it('finds an active key by its digest only, marks it used, and forgets it once revoked', async () => {
    const k = newKey(['operator'], 'ci');
    const view = await repo.insert(db, k);
    expect(view).toMatchObject({ id: k.id, name: 'ci', roles: ['operator'], lastUsedAt: null, revokedAt: null });
    expect(await repo.findActive(db, k.hash)).toEqual({ id: k.id, name: 'ci', roles: ['operator'] });
    const [row] = await test.query<any>(`SELECT * FROM gates.api_keys WHERE id = $1`, [k.id]);
    expect(row.last_used_at).not.toBeNull();
    expect(JSON.stringify(row)).not.toContain(k.key);

    const revoked = await repo.revoke(db, k.id, 'key:admin');
    expect(revoked?.revokedAt).not.toBeNull();
    expect((await repo.revoke(db, k.id, 'key:other'))?.revokedAt).toBe(revoked?.revokedAt);
    const [after] = await test.query<any>(`SELECT revoked_by FROM gates.api_keys WHERE id = $1`, [k.id]);
    expect(after.revoked_by).toBe('key:admin');
    expect(await repo.findActive(db, k.hash)).toBeUndefined();
    expect(await repo.revoke(db, randomUUID(), 'x')).toBeUndefined();
  });

  it('refreshes last_used_at at most once a minute', async () => {
    const k = newKey(['operator']);
    await repo.insert(db, k);
    await repo.findActive(db, k.hash);
    const first = (await test.query<any>(`SELECT last_used_at FROM gates.api_keys WHERE id = $1`, [k.id]))[0];
    await repo.findActive(db, k.hash);
    const second = (await test.query<any>(`SELECT last_used_at FROM gates.api_keys WHERE id = $1`, [k.id]))[0];
    expect(second.last_used_at).toEqual(first.last_used_at);
  });

  it('makes the bootstrap key only while no admin key ever existed; a revoked one never comes back', async () => {
    const freshDb = await createTestDatabase('gates_keys_boot');
    const fresh = asDb(freshDb);
    try {
      const boot = newKey(['admin'], 'bootstrap');
      expect(await repo.insertBootstrap(fresh, boot)).toBe(true);
      expect(await repo.insertBootstrap(fresh, { ...boot, id: randomUUID() })).toBe(false);
      await repo.revoke(fresh, boot.id, 'key:someone');
      expect(await repo.insertBootstrap(fresh, { ...boot, id: randomUUID() })).toBe(false);
      expect(await repo.insertBootstrap(fresh, { ...newKey(['admin'], 'bootstrap'), id: randomUUID() })).toBe(false);
      expect(await freshDb.query(`SELECT count(*)::int AS n FROM gates.api_keys`)).toEqual([{ n: 1 }]);
    } finally {
      await freshDb.drop();
    }
  });
});
