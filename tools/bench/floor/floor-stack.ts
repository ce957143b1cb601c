import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Client } from 'pg';
import { freePort } from '../../test-support/free-port';
import { spawnUntilReady, stopChild } from '../../test-support/process-control';
import { DIST_DIR } from '../../test-support/stack';
import type { WatchedProcess } from '../../load/proc-stats';
import {
  createFloorSchema,
  deleteFloorStream,
  dropFloorSchema,
  FLOOR_CONSUMERS,
  FLOOR_GATE_KEY,
  floorNames,
  provisionFloorStream,
  type FloorNames,
} from './floor-schema';

const ROLES = ['gates', ...FLOOR_CONSUMERS, 'gateway'] as const;

/** What a floor run proved about its rows once every reply settled: each must hold. */
export interface FloorChecks {
  ledgerRows: number;
  acceptedReplies: number;
  /** Effects per consumer: each accepted reply exactly once in each. */
  effects: Record<string, number>;
  unpublishedOutboxRows: number;
  ok: boolean;
}

/**
 * The contract floor's processes (floor-process.ts) on a given Postgres database and NATS server,
 * in a schema and stream of their own, plus the driver's own connection for seeding and checks.
 */
export class FloorStack {
  private readonly children = new Map<string, ChildProcess>();
  private client!: Client;
  private nc!: NatsConnection;
  baseUrl = '';

  private constructor(
    readonly names: FloorNames,
    private readonly databaseUrl: string,
    private readonly natsUrl: string,
  ) {}

  static async start(databaseUrl: string, natsUrl: string): Promise<FloorStack> {
    const stack = new FloorStack(floorNames(randomBytes(4).toString('hex')), databaseUrl, natsUrl);
    try {
      await stack.boot();
    } catch (err) {
      await stack.stop();
      throw err;
    }
    return stack;
  }

  private async boot(): Promise<void> {
    this.client = new Client({ connectionString: this.databaseUrl, application_name: 'floor-driver' });
    await this.client.connect();
    await createFloorSchema(this.client, this.names);
    this.nc = await connect({ servers: this.natsUrl, name: 'floor-driver' });
    await provisionFloorStream(this.nc, this.names);
    const port = await freePort();
    this.baseUrl = `http://127.0.0.1:${port}`;
    for (const role of ROLES) this.children.set(role, await this.spawnRole(role, port));
  }

  private spawnRole(role: string, port: number): Promise<ChildProcess> {
    return spawnUntilReady(join(DIST_DIR, 'tools', 'bench', 'floor', 'floor-process.js'), [], {
      ...process.env,
      FLOOR_ROLE: role,
      FLOOR_TAG: this.names.schema.slice('floor_'.length),
      DATABASE_URL: this.databaseUrl,
      NATS_URL: this.natsUrl,
      PORT: String(port),
    });
  }

  /** The floor's own processes (not nats-server, not Postgres). */
  processes(): WatchedProcess[] {
    return [...this.children].filter(([, c]) => c.pid).map(([name, c]) => ({ name: `floor-${name}`, pid: c.pid! }));
  }

  /** Current backend pids of the database, the driver's own excluded. */
  async backends(): Promise<number[]> {
    const rows = await this.client.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
    return rows.rows.map((r) => r.pid);
  }

  /** `n` fresh pending gates; returns their workflow ids. */
  async seedGates(n: number): Promise<string[]> {
    const wids = Array.from({ length: n }, () => randomUUID());
    await this.client.query(
      `INSERT INTO ${this.names.schema}.gates (workflow_id, gate_key, state) SELECT unnest($1::uuid[]), $2, 'PENDING'`,
      [wids, FLOOR_GATE_KEY],
    );
    return wids;
  }

  replyPath(wid: string): string {
    return `/api/runs/${wid}/gates/${FLOOR_GATE_KEY}/reply`;
  }

  /** Waits until every consumer has recorded `total` effects in all (polling; the driver's backend is not watched). */
  async awaitEffects(total: number, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const perConsumer = total * FLOOR_CONSUMERS.length;
    for (;;) {
      const r = await this.client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${this.names.schema}.effects`);
      if (r.rows[0].n >= perConsumer) return;
      if (Date.now() > deadline) throw new Error(`effects ${r.rows[0].n} of ${perConsumer} after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  private async count(sql: string): Promise<number> {
    return (await this.client.query<{ n: number }>(sql)).rows[0].n;
  }

  ledgerRows(): Promise<number> {
    return this.count(`SELECT count(*)::int AS n FROM ${this.names.schema}.human_interactions`);
  }

  /** Checks the rows once every reply settled, against the replies accepted since the stack started. */
  async checks(acceptedReplies: number): Promise<FloorChecks> {
    const s = this.names.schema;
    const ledgerRows = await this.ledgerRows();
    const unpublishedOutboxRows = await this.count(
      `SELECT count(*)::int AS n FROM ${s}.outbox WHERE published_at IS NULL`,
    );
    const effects: Record<string, number> = {};
    for (const c of FLOOR_CONSUMERS)
      effects[c] = await this.count(`SELECT count(*)::int AS n FROM ${s}.effects WHERE consumer = '${c}'`);
    const ok =
      ledgerRows === acceptedReplies &&
      unpublishedOutboxRows === 0 &&
      Object.values(effects).every((n) => n === acceptedReplies);
    return { ledgerRows, acceptedReplies, effects, unpublishedOutboxRows, ok };
  }

  async stop(): Promise<void> {
    // In reverse start order, the gateway first. Also after a failed start: whatever began is undone,
    // and a cleanup failure does not hide the error that stopped the start.
    for (const role of [...ROLES].reverse()) {
      const child = this.children.get(role);
      if (child) await stopChild(child, 'SIGTERM');
    }
    if (this.nc) {
      await deleteFloorStream(this.nc, this.names);
      await this.nc.close().catch(() => undefined);
    }
    if (this.client) {
      await dropFloorSchema(this.client, this.names).catch(() => undefined);
      await this.client.end().catch(() => undefined);
    }
  }
}
