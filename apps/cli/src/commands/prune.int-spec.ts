import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../../../../tools/test-support/database';
import { ROOT } from '../../../../tools/test-support/paths';

const CLI = join(ROOT, 'dist', 'apps', 'cli', 'src', 'main.js');

/** `gatehouse prune` as an operator's cron job runs it: the built command against a real database. */
describe('gatehouse prune (built CLI)', () => {
  let db: TestDatabase;

  const prune = (...args: string[]) => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
    return spawnSync(process.execPath, [CLI, 'prune', ...args], {
      env: { PATH: process.env.PATH, DATABASE_URL: db.url },
      encoding: 'utf8',
      timeout: 60_000,
    });
  };

  const counts = async () =>
    (
      await db.query<{ inbox: number; published: number; unpublished: number }>(
        `SELECT (SELECT count(*)::int FROM gates.inbox) AS inbox,
                (SELECT count(*)::int FROM gates.outbox WHERE published_at IS NOT NULL) AS published,
                (SELECT count(*)::int FROM gates.outbox WHERE published_at IS NULL) AS unpublished`,
      )
    )[0];

  beforeAll(async () => {
    db = await createTestDatabase('cli_prune');
    // Old and recent inbox rows, old and recent published outbox rows, and an old unpublished one.
    await db.query(
      `INSERT INTO gates.inbox (consumer, msg_id, subject, processed_at)
       SELECT 'c', 'old-' || i, 'evt.x', now() - interval '50 days' FROM generate_series(1, 4) i
       UNION ALL SELECT 'c', 'new-' || i, 'evt.x', now() - interval '2 days' FROM generate_series(1, 2) i`,
    );
    await db.query(
      `INSERT INTO gates.outbox (msg_id, subject, payload, created_at, published_at)
       SELECT 'old-' || i, 'evt.x', '{}'::jsonb, now() - interval '51 days', now() - interval '50 days' FROM generate_series(1, 3) i
       UNION ALL SELECT 'new', 'evt.x', '{}'::jsonb, now() - interval '2 days', now() - interval '2 days'
       UNION ALL SELECT 'unpublished', 'evt.x', '{}'::jsonb, now() - interval '90 days', NULL`,
    );
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('counts with --dry-run, then deletes only old processed rows; never an unpublished one', async () => {
    const dry = prune('--older-than', '45d', '--dry-run', '--json');
    expect({ status: dry.status, stderr: dry.stderr }).toMatchObject({ status: 0 });
    expect(JSON.parse(dry.stdout)).toMatchObject({
      olderThanS: 45 * 86_400,
      dryRun: true,
      deleted: { gates: { inbox: 4, outbox: 3 }, runs: { inbox: 0, outbox: 0 } },
    });
    expect(await counts()).toEqual({ inbox: 6, published: 4, unpublished: 1 });

    const real = prune('--older-than', '45d');
    expect(real.status).toBe(0);
    expect(real.stdout).toMatch(/^SCHEMA\s+TABLE\s+DELETED$/m);
    expect(real.stdout).toMatch(/^gates\s+inbox\s+4$/m);
    expect(real.stdout).toMatch(/^gates\s+outbox\s+3$/m);
    expect(real.stderr).toContain('pruning rows older than 45d in postgres://');
    expect(await counts()).toEqual({ inbox: 2, published: 1, unpublished: 1 });
  });

  it('refuses a cut-off inside the stream retention (2) and a bad duration (2), deleting nothing', async () => {
    const before = await counts();
    const short = prune('--older-than', '1d');
    expect(short.status).toBe(2);
    expect(short.stderr).toContain('prune refused: olderThanS must be an integer of at least');
    expect(prune('--older-than', '45').status).toBe(2);
    expect(await counts()).toEqual(before);
  });
});
