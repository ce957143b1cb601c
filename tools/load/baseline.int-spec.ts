import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createTestDatabase, type TestDatabase } from '../test-support/database';
import { startNatsServer, type NatsServerHandle } from '../test-support/nats-server';
import { runBaseline } from './baseline';

describe('raw-unit baseline (real Postgres and NATS)', () => {
  let db: TestDatabase;
  let nats: NatsServerHandle;

  beforeAll(async () => {
    [db, nats] = await Promise.all([createTestDatabase('load_baseline'), startNatsServer('load-baseline')]);
  }, 60_000);

  afterAll(async () => {
    await nats?.stop();
    await db?.drop();
  });

  it('times N transactions + acknowledged publishes and leaves nothing behind', async () => {
    const r = await runBaseline({ databaseUrl: db.url, natsUrl: nats.url, units: 60, concurrency: 6, poolMax: 4 });
    expect(r).toMatchObject({ units: 60, concurrency: 6, poolMax: 4 });
    expect(r.unitsPerS).toBeGreaterThan(0);
    expect(r.latencyMs.count).toBe(60);
    expect(r.sqlLatencyMs.count).toBe(60);
    expect(r.publishLatencyMs.count).toBe(60);
    expect(r.latencyMs.max).toBeGreaterThanOrEqual(r.latencyMs.p50);

    const schemas = await db.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'load_scratch_%'`);
    expect(schemas).toEqual([]);
    const nc = await connect({ servers: nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      const names: string[] = [];
      for await (const s of jsm.streams.list()) names.push(s.config.name);
      expect(names.filter((n) => n.startsWith('LOAD_SCRATCH_'))).toEqual([]);
    } finally {
      await nc.close();
    }
  }, 60_000);
});
