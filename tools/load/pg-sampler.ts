import { Client } from 'pg';
import { snapshotCounters, type PgCounterSnapshot } from './pg-counters';
import { round } from './proc-stats';

export interface PgSamplerReport {
  samples: number;
  intervalMs: number;
  /** pg_locks rows not granted, held by backends of this database. */
  waitingLocks: { max: number; mean: number; samplesWithWaits: number; byType: Record<string, number> };
  /** Backends connected to this database (the sampler's own excluded). */
  connections: { max: number; mean: number; byApplication: Record<string, number> };
  /** Backends running a statement at the sample. */
  activeBackends: { max: number; mean: number };
  /** What active backends were waiting on, summed over samples ("CPU" = not waiting). */
  waitEvents: Record<string, number>;
}

interface Sample {
  waiting: number;
  waitingByType: Record<string, number>;
  connections: number;
  byApp: Record<string, number>;
  active: number;
  waits: Record<string, number>;
}

/**
 * Samples pg_locks and pg_stat_activity of one database on its own connection while a phase runs:
 * lock waits and connection use are the evidence of where Postgres is the limit.
 */
export class PgSampler {
  private client?: Client;
  private timer?: NodeJS.Timeout;
  private busy = false;
  private readonly samples: Sample[] = [];
  /** Backend pids of the database seen by any sample (for their CPU). */
  readonly backendPids = new Set<number>();

  constructor(
    private readonly databaseUrl: string,
    private readonly intervalMs = 100,
  ) {}

  get databaseName(): string {
    return decodeURIComponent(new URL(this.databaseUrl).pathname.slice(1));
  }

  async connect(): Promise<void> {
    this.client = new Client({ connectionString: this.databaseUrl, application_name: 'gatehouse-load-sampler' });
    await this.client.connect();
  }

  /** Current backend pids of the database, the sampler's own excluded. */
  async backends(): Promise<number[]> {
    const rows = (
      await this.client!.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [this.databaseName],
      )
    ).rows;
    for (const r of rows) this.backendPids.add(r.pid);
    return rows.map((r) => r.pid);
  }

  /** The database's cumulative activity counters, read on the sampler's connection. */
  counters(): Promise<PgCounterSnapshot> {
    return snapshotCounters(this.client!);
  }

  start(): void {
    this.samples.length = 0;
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    void this.sample();
  }

  /** Samples taken since `start`. */
  get sampleCount(): number {
    return this.samples.length;
  }

  stop(): PgSamplerReport {
    if (this.timer) clearInterval(this.timer);
    return summarize(this.samples, this.intervalMs);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.client?.end().catch(() => undefined);
  }

  private async sample(): Promise<void> {
    if (this.busy || !this.client) return;
    this.busy = true;
    try {
      const db = this.databaseName;
      const locks = await this.client.query<{ locktype: string; n: number }>(
        `SELECT l.locktype, count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE NOT l.granted AND a.datname = $1 GROUP BY l.locktype`,
        [db],
      );
      const acts = await this.client.query<{ pid: number; app: string; state: string | null; wait: string | null }>(
        `SELECT pid, application_name AS app, state,
                CASE WHEN wait_event IS NULL THEN NULL ELSE wait_event_type || ':' || wait_event END AS wait
         FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [db],
      );
      const s: Sample = {
        waiting: 0,
        waitingByType: {},
        connections: acts.rows.length,
        byApp: {},
        active: 0,
        waits: {},
      };
      for (const r of locks.rows) {
        s.waiting += r.n;
        s.waitingByType[r.locktype] = r.n;
      }
      for (const r of acts.rows) {
        this.backendPids.add(r.pid);
        const app = r.app || '(none)';
        s.byApp[app] = (s.byApp[app] ?? 0) + 1;
        if (r.state === 'active') {
          s.active++;
          const w = r.wait ?? 'CPU';
          s.waits[w] = (s.waits[w] ?? 0) + 1;
        }
      }
      this.samples.push(s);
    } catch {
      // A sample lost to a passing error does not matter; the next one comes in intervalMs.
    } finally {
      this.busy = false;
    }
  }
}

function summarize(samples: Sample[], intervalMs: number): PgSamplerReport {
  const n = samples.length || 1;
  const sum = (f: (s: Sample) => number) => samples.reduce((a, s) => a + f(s), 0);
  const max = (f: (s: Sample) => number) => samples.reduce((a, s) => Math.max(a, f(s)), 0);
  const addUp = (f: (s: Sample) => Record<string, number>) => {
    const out: Record<string, number> = {};
    for (const s of samples) for (const [k, v] of Object.entries(f(s))) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  const maxOf = (f: (s: Sample) => Record<string, number>) => {
    const out: Record<string, number> = {};
    for (const s of samples) for (const [k, v] of Object.entries(f(s))) out[k] = Math.max(out[k] ?? 0, v);
    return out;
  };
  return {
    samples: samples.length,
    intervalMs,
    waitingLocks: {
      max: max((s) => s.waiting),
      mean: round(sum((s) => s.waiting) / n, 2),
      samplesWithWaits: samples.filter((s) => s.waiting > 0).length,
      byType: addUp((s) => s.waitingByType),
    },
    connections: {
      max: max((s) => s.connections),
      mean: round(sum((s) => s.connections) / n, 1),
      byApplication: maxOf((s) => s.byApp),
    },
    activeBackends: { max: max((s) => s.active), mean: round(sum((s) => s.active) / n, 2) },
    waitEvents: addUp((s) => s.waits),
  };
}
