import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Client } from 'pg';
import { CONSUMERS, STREAMS } from '@gatehouse/messaging';
import { MIGRATIONS } from '../../../../migrations';
import { BASE_DATABASE_URL } from '../../../../tools/test-support/database';
import { startNatsServer, type NatsServerHandle } from '../../../../tools/test-support/nats-server';
import { ROOT } from '../../../../tools/test-support/paths';

const CLI = join(ROOT, 'dist', 'apps', 'cli', 'src', 'main.js');

/** `gatehouse migrate` as a deploy runs it: the built command, a database that does not exist yet, a private NATS. */
describe('gatehouse migrate (built CLI)', () => {
  let nats: NatsServerHandle;
  const name = `gh_cli_migrate_${randomBytes(4).toString('hex')}`;
  const url = new URL(BASE_DATABASE_URL);
  url.pathname = `/${name}`;
  const admin = () => new Client({ connectionString: BASE_DATABASE_URL });

  const migrate = (...args: string[]) => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
    return spawnSync(process.execPath, [CLI, 'migrate', ...args], {
      env: { PATH: process.env.PATH, DATABASE_URL: url.toString(), NATS_URL: nats.url, LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 60_000,
    });
  };

  beforeAll(async () => {
    nats = await startNatsServer('cli_migrate');
  });

  afterAll(async () => {
    const c = admin();
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).finally(() => c.end());
    await nats?.stop();
  });

  it('creates the database, applies every migration and provisions the streams; a second run changes nothing', async () => {
    const c = admin();
    await c.connect();
    const exists = async () => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount;
    try {
      expect(await exists()).toBe(0);

      const first = migrate('--json');
      expect({ status: first.status, stderr: first.stderr }).toMatchObject({ status: 0 });
      const result = JSON.parse(first.stdout);
      expect(result).toEqual({ ok: true, migrations: MIGRATIONS.map((m) => m.name), streamReplicas: 1 });
      expect(await exists()).toBe(1);

      const second = migrate('--json');
      expect(second.status).toBe(0);
      expect(JSON.parse(second.stdout)).toEqual({ ok: true, migrations: [], streamReplicas: 1 });
      const third = migrate();
      expect(third.status).toBe(0);
      expect(third.stdout).toContain('database up to date: no pending migrations');
    } finally {
      await c.end();
    }

    const db = new Client({ connectionString: url.toString() });
    await db.connect();
    try {
      const applied = await db.query('SELECT name FROM public.typeorm_migrations ORDER BY id');
      expect(applied.rows.map((r) => r.name)).toEqual(MIGRATIONS.map((m) => m.name));
      const schemas = await db.query(
        `SELECT schema_name FROM information_schema.schemata WHERE schema_name IN ('runs', 'gates', 'escalation')`,
      );
      expect(schemas.rows.map((r) => r.schema_name).sort()).toEqual(['escalation', 'gates', 'runs']);
    } finally {
      await db.end();
    }

    const nc = await connect({ servers: nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      for (const def of Object.values(STREAMS)) expect((await jsm.streams.info(def.name)).config.name).toBe(def.name);
      for (const def of Object.values(CONSUMERS)) {
        expect((await jsm.consumers.info(def.stream, def.durable)).config.durable_name).toBe(def.durable);
      }
    } finally {
      await nc.close();
    }
  }, 120_000);

  it('stops with exit 78 and names the variable on a bad setting, and with 2 on an unknown option', () => {
    const bad = spawnSync(process.execPath, [CLI, 'migrate'], {
      env: { PATH: process.env.PATH, DATABASE_URL: 'mysql://nope' },
      encoding: 'utf8',
    });
    expect(bad.status).toBe(78);
    expect(bad.stderr).toContain('DATABASE_URL');
    const usage = spawnSync(process.execPath, [CLI, 'migrate', '--no-such-flag'], { encoding: 'utf8' });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain("unknown option '--no-such-flag'");
  });
});
