import { createTestDatabase, type TestDatabase } from '../../../../tools/test-support/database';
import { MIN_RETENTION_S, PruneRefused, pruneMessagingTables } from './prune';

const DAY = 24 * 3600;

describe('pruneMessagingTables (integration)', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('prune');
  });

  afterAll(async () => {
    await db?.drop();
  });

  /** In each schema: inbox rows of 40 and 1 days, outbox rows published 40 and 1 days ago, and one old unpublished. */
  async function seed(): Promise<void> {
    for (const s of ['runs', 'gates', 'escalation']) {
      await db.query(
        `INSERT INTO ${s}.inbox (consumer, msg_id, subject, processed_at)
         SELECT 'c', 'old-' || i, 'evt.x', now() - interval '40 days' FROM generate_series(1, 7) i
         UNION ALL SELECT 'c', 'new-' || i, 'evt.x', now() - interval '1 day' FROM generate_series(1, 3) i`,
      );
      await db.query(
        `INSERT INTO ${s}.outbox (msg_id, subject, payload, created_at, published_at)
         SELECT 'old-' || i, 'evt.x', '{}'::jsonb, now() - interval '41 days', now() - interval '40 days' FROM generate_series(1, 5) i
         UNION ALL SELECT 'new-' || i, 'evt.x', '{}'::jsonb, now() - interval '1 day', now() - interval '1 day' FROM generate_series(1, 2) i
         UNION ALL SELECT 'unpublished', 'evt.x', '{}'::jsonb, now() - interval '90 days', NULL`,
      );
    }
    // Webhook deliveries: delivered 40 days ago (2 attempts each), delivered yesterday, dead and pending long ago.
    await db.query(
      `INSERT INTO escalation.webhook_endpoints (id, url, events, secret_ciphertext, created_by)
       VALUES ('00000000-0000-4000-8000-000000000001', 'https://hooks.example.com/x', '{gate.opened}', 'x', 'key:admin')`,
    );
    await db.query(
      `INSERT INTO escalation.webhook_deliveries (endpoint_id, webhook_id, event_type, workflow_id, body, status, created_at, delivered_at, dead_at)
       SELECT '00000000-0000-4000-8000-000000000001'::uuid, 'old-' || i, 'gate.opened', 'w', '{}', 'DELIVERED',
              now() - interval '41 days', now() - interval '40 days', NULL::timestamptz FROM generate_series(1, 4) i
       UNION ALL SELECT '00000000-0000-4000-8000-000000000001', 'new', 'gate.opened', 'w', '{}', 'DELIVERED',
              now() - interval '1 day', now() - interval '1 day', NULL
       UNION ALL SELECT '00000000-0000-4000-8000-000000000001', 'dead', 'gate.opened', 'w', '{}', 'DEAD',
              now() - interval '60 days', NULL, now() - interval '59 days'
       UNION ALL SELECT '00000000-0000-4000-8000-000000000001', 'pending', 'gate.opened', 'w', '{}', 'PENDING',
              now() - interval '60 days', NULL, NULL`,
    );
    await db.query(
      `INSERT INTO escalation.webhook_attempts (delivery_id, attempt, started_at, latency_ms, outcome)
       SELECT d.id, n, d.created_at, 5, CASE WHEN d.status = 'DELIVERED' AND n = 2 THEN 'DELIVERED' ELSE 'RETRY' END
       FROM escalation.webhook_deliveries d, generate_series(1, 2) n`,
    );
  }

  const counts = async (s: string) =>
    (
      await db.query<{ inbox: number; published: number; unpublished: number }>(
        `SELECT (SELECT count(*)::int FROM ${s}.inbox) AS inbox,
                (SELECT count(*)::int FROM ${s}.outbox WHERE published_at IS NOT NULL) AS published,
                (SELECT count(*)::int FROM ${s}.outbox WHERE published_at IS NULL) AS unpublished`,
      )
    )[0];

  it('deletes old inbox and published outbox rows in batches, never an unpublished one', async () => {
    await seed();
    const dry = await pruneMessagingTables(db.url, { olderThanS: 31 * DAY, dryRun: true });
    expect(dry.gates).toEqual({ inbox: 7, outbox: 5 });
    expect(await counts('gates')).toEqual({ inbox: 10, published: 7, unpublished: 1 });

    const report = await pruneMessagingTables(db.url, { olderThanS: 31 * DAY, batchSize: 2 });
    expect(report).toEqual({
      runs: { inbox: 7, outbox: 5 },
      gates: { inbox: 7, outbox: 5 },
      escalation: { inbox: 7, outbox: 5, webhook_attempts: 8, webhook_deliveries: 4 },
    });
    // The delivery of yesterday, the dead letter and the pending delivery stay, with their attempts.
    expect(await db.query(`SELECT webhook_id, status FROM escalation.webhook_deliveries ORDER BY webhook_id`)).toEqual([
      { webhook_id: 'dead', status: 'DEAD' },
      { webhook_id: 'new', status: 'DELIVERED' },
      { webhook_id: 'pending', status: 'PENDING' },
    ]);
    expect(await db.query(`SELECT count(*)::int AS n FROM escalation.webhook_attempts`)).toEqual([{ n: 6 }]);
    for (const s of ['runs', 'gates', 'escalation'])
      expect(await counts(s)).toEqual({ inbox: 3, published: 2, unpublished: 1 });
    // Nothing left to do: a second prune deletes nothing.
    const again = await pruneMessagingTables(db.url, { olderThanS: 31 * DAY });
    expect(again.runs).toEqual({ inbox: 0, outbox: 0 });
  });

  it('refuses a retention shorter than the longest stream keeps messages, deleting nothing', async () => {
    const before = await counts('runs');
    await expect(pruneMessagingTables(db.url, { olderThanS: MIN_RETENTION_S - 1 })).rejects.toThrow(PruneRefused);
    await expect(pruneMessagingTables(db.url, { olderThanS: 31 * DAY, batchSize: 0 })).rejects.toThrow(PruneRefused);
    expect(await counts('runs')).toEqual(before);
    expect(MIN_RETENTION_S).toBe(30 * DAY);
  });
});
