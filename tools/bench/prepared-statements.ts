/**
 * Unnamed vs named (prepared once per connection) statements, as the services send them.
 *
 *   node dist/tools/bench/prepared-statements.js [--tx 2000] [--rounds 5]
 *
 * On a scratch database of the configured server (TEST_DATABASE_URL or the local one): one
 * connection runs reply-like transactions (BEGIN; INSERT ... ON CONFLICT DO NOTHING RETURNING 1 into
 * an inbox; SELECT <gate columns> ... FOR UPDATE by key; UPDATE by key; COMMIT), first with unnamed
 * statements, then with named ones, alternating for several rounds. Each phase reports the
 * backend's CPU (/proc/<pid>/stat of pg_backend_pid()) and the client's wall time, per transaction
 * and per statement; the summary is the median over the rounds. A second part runs each statement
 * kind alone, 100 to a transaction, so BEGIN/COMMIT do not dilute it. A third part runs the
 * reply-like transaction as the services do, through TypeORM: `tx.query` against `queryRows`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { EntityManager } from 'typeorm';
import { createDataSource } from '../../libs/persistence/src/data-source';
import { maintenanceUrl } from '../../libs/persistence/src/database-url';
import { queryRows } from '../../libs/persistence/src/sql';
import { inTransaction } from '../../libs/persistence/src/transaction';
import { readProc } from '../load/proc-stats';

const BASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const GATE_COLUMNS =
  'workflow_id, gate_key, root_gate_key, escalation_level, state, topic, recipe_name, choices, policy, deadline_at, opened_at, closed_at';

const SQL = {
  inbox: `INSERT INTO bench.inbox (consumer, msg_id, subject) VALUES ($1, $2, $3)
       ON CONFLICT (consumer, msg_id) DO NOTHING RETURNING 1`,
  lock: `SELECT ${GATE_COLUMNS}, clock_timestamp() AS now FROM bench.gates
       WHERE workflow_id = $1 AND gate_key = $2 FOR UPDATE`,
  update: `UPDATE bench.gates SET state = $3, closed_at = clock_timestamp()
       WHERE workflow_id = $1 AND gate_key = $2`,
} as const;
type Kind = keyof typeof SQL;
const KINDS = Object.keys(SQL) as Kind[];

interface Sample {
  cpuUsPerTx: number;
  cpuUsPerStatement: number;
  wallUsPerTx: number;
  wallUsPerStatement: number;
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer`);
  return v;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

class Bench {
  private seq = 0;
  private named = false;
  private readonly names = new Map<Kind, string>(KINDS.map((k) => [k, `bench_${k}`]));

  constructor(
    private readonly client: Client,
    private readonly backendPid: number,
    private readonly gates: string[],
  ) {}

  private run(kind: Kind, values: unknown[]): Promise<unknown> {
    const text = SQL[kind];
    return this.named
      ? this.client.query({ name: this.names.get(kind), text, values })
      : this.client.query(text, values);
  }

  private gate(): [string, string] {
    return [this.gates[this.seq % this.gates.length], 'approve-plan'];
  }

  private async statement(kind: Kind): Promise<void> {
    this.seq++;
    if (kind === 'inbox') await this.run('inbox', ['bench', `m${this.seq}-${this.named}`, 'gate.reply']);
    else if (kind === 'lock') await this.run('lock', this.gate());
    else await this.run('update', [...this.gate(), this.seq % 2 ? 'APPROVED' : 'PENDING']);
  }

  private cpuS(): number {
    const p = readProc(this.backendPid);
    if (!p) throw new Error(`cannot read /proc/${this.backendPid}/stat`);
    return p.cpuS;
  }

  /** `transactions` transactions of `perTx` statements each, drawn from `kinds` in turn. */
  async measure(named: boolean, transactions: number, kinds: Kind[], perTx: number): Promise<Sample> {
    this.named = named;
    const cpu0 = this.cpuS();
    const t0 = process.hrtime.bigint();
    for (let t = 0; t < transactions; t++) {
      await this.client.query('BEGIN');
      for (let i = 0; i < perTx; i++) await this.statement(kinds[i % kinds.length]);
      await this.client.query('COMMIT');
    }
    const wallUs = Number(process.hrtime.bigint() - t0) / 1000;
    const cpuUs = (this.cpuS() - cpu0) * 1e6;
    const statements = transactions * perTx;
    return {
      cpuUsPerTx: cpuUs / transactions,
      cpuUsPerStatement: cpuUs / statements,
      wallUsPerTx: wallUs / transactions,
      wallUsPerStatement: wallUs / statements,
    };
  }
}

/** The reply-like transaction through TypeORM's transaction and `tx.query`, or through queryRows. */
async function measureTypeorm(url: string, helper: boolean, transactions: number, gates: string[]): Promise<Sample> {
  const ds = createDataSource({ url, poolMax: 1, applicationName: 'gatehouse-bench' });
  await ds.initialize();
  try {
    const pid = (await ds.query('SELECT pg_backend_pid() AS pid'))[0].pid as number;
    const q = (tx: EntityManager, kind: Kind, values: unknown[]) =>
      helper ? queryRows(tx, SQL[kind], values) : tx.query(SQL[kind], values);
    const reply = (t: number) =>
      inTransaction(ds, async (tx) => {
        const gate = [gates[t % gates.length], 'approve-plan'];
        await q(tx, 'inbox', ['bench', `t${t}-${helper}-${randomBytes(4).toString('hex')}`, 'gate.reply']);
        await q(tx, 'lock', gate);
        await q(tx, 'update', [...gate, t % 2 ? 'APPROVED' : 'PENDING']);
      });
    for (let t = 0; t < 20; t++) await reply(t);
    const cpu0 = readProc(pid)!.cpuS;
    const t0 = process.hrtime.bigint();
    for (let t = 0; t < transactions; t++) await reply(t);
    const wallUs = Number(process.hrtime.bigint() - t0) / 1000;
    const cpuUs = (readProc(pid)!.cpuS - cpu0) * 1e6;
    return {
      cpuUsPerTx: cpuUs / transactions,
      cpuUsPerStatement: cpuUs / (transactions * 3),
      wallUsPerTx: wallUs / transactions,
      wallUsPerStatement: wallUs / (transactions * 3),
    };
  } finally {
    await ds.destroy();
  }
}

async function scratchDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `gh_bench_prepared_${randomBytes(4).toString('hex')}`;
  const url = new URL(BASE_URL);
  url.pathname = `/${name}`;
  const admin = new Client({ connectionString: maintenanceUrl(url.toString()).adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  return {
    url: url.toString(),
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    },
  };
}

async function setUp(client: Client, gateCount: number): Promise<string[]> {
  await client.query(`CREATE SCHEMA bench`);
  await client.query(`CREATE TABLE bench.inbox (
    consumer text NOT NULL, msg_id text NOT NULL, subject text NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (consumer, msg_id))`);
  await client.query(`CREATE TABLE bench.gates (
    workflow_id uuid NOT NULL, gate_key text NOT NULL, root_gate_key text NOT NULL,
    escalation_level int NOT NULL DEFAULT 0, state text NOT NULL, topic text NOT NULL,
    recipe_name text NOT NULL, choices jsonb NOT NULL, policy jsonb NOT NULL,
    deadline_at timestamptz NOT NULL, opened_at timestamptz NOT NULL, closed_at timestamptz,
    PRIMARY KEY (workflow_id, gate_key))`);
  const ids = Array.from({ length: gateCount }, () => randomUUID());
  await client.query(
    `INSERT INTO bench.gates (workflow_id, gate_key, root_gate_key, state, topic, recipe_name, choices, policy, deadline_at, opened_at)
     SELECT id, 'approve-plan', 'approve-plan', 'PENDING', 'plan', 'default',
            '[{"id":"approve"},{"id":"reject"}]', '{"timeoutS":3600}', now() + interval '1 hour', now()
     FROM unnest($1::uuid[]) AS id`,
    [ids],
  );
  await client.query('ANALYZE bench.gates');
  return ids;
}

function line(label: string, unnamed: Sample, named: Sample): string {
  const pct = (a: number, b: number) => `${(((b - a) / a) * 100).toFixed(0)} %`;
  const f = (n: number) => n.toFixed(1).padStart(7);
  return [
    label.padEnd(34),
    `cpu/stmt ${f(unnamed.cpuUsPerStatement)} → ${f(named.cpuUsPerStatement)} µs (${pct(unnamed.cpuUsPerStatement, named.cpuUsPerStatement)})`,
    `wall/stmt ${f(unnamed.wallUsPerStatement)} → ${f(named.wallUsPerStatement)} µs (${pct(unnamed.wallUsPerStatement, named.wallUsPerStatement)})`,
    `cpu/tx ${f(unnamed.cpuUsPerTx)} → ${f(named.cpuUsPerTx)} µs`,
  ].join('  ');
}

function medianSample(xs: Sample[]): Sample {
  return {
    cpuUsPerTx: median(xs.map((x) => x.cpuUsPerTx)),
    cpuUsPerStatement: median(xs.map((x) => x.cpuUsPerStatement)),
    wallUsPerTx: median(xs.map((x) => x.wallUsPerTx)),
    wallUsPerStatement: median(xs.map((x) => x.wallUsPerStatement)),
  };
}

async function main(): Promise<void> {
  const transactions = arg('tx', 2000);
  const rounds = arg('rounds', 5);
  const db = await scratchDatabase();
  const client = new Client({ connectionString: db.url, application_name: 'gatehouse-bench' });
  try {
    await client.connect();
    const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    const gates = await setUp(client, 1000);
    const bench = new Bench(client, pid, gates);
    const phases: Array<{ label: string; kinds: Kind[]; perTx: number; transactions: number }> = [
      { label: 'reply-like tx (3 + BEGIN/COMMIT)', kinds: ['inbox', 'lock', 'update'], perTx: 3, transactions },
      ...KINDS.map((k) => ({
        label: `${k} alone (100 per tx)`,
        kinds: [k],
        perTx: 100,
        transactions: Math.ceil((transactions * 3) / 100),
      })),
    ];
    // Warm both paths (catalog caches, the named statements' parse) before measuring.
    for (const p of phases) for (const named of [false, true]) await bench.measure(named, 5, p.kinds, p.perTx);
    console.log(`backend pid ${pid}; ${rounds} rounds; medians`);
    for (const p of phases) {
      const results = { unnamed: [] as Sample[], named: [] as Sample[] };
      for (let r = 0; r < rounds; r++) {
        results.unnamed.push(await bench.measure(false, p.transactions, p.kinds, p.perTx));
        results.named.push(await bench.measure(true, p.transactions, p.kinds, p.perTx));
      }
      console.log(line(p.label, medianSample(results.unnamed), medianSample(results.named)));
    }
    const viaTypeorm = { unnamed: [] as Sample[], named: [] as Sample[] };
    for (let r = 0; r < rounds; r++) {
      viaTypeorm.unnamed.push(await measureTypeorm(db.url, false, transactions, gates));
      viaTypeorm.named.push(await measureTypeorm(db.url, true, transactions, gates));
    }
    console.log(
      line('tx.query → queryRows (TypeORM tx)', medianSample(viaTypeorm.unnamed), medianSample(viaTypeorm.named)),
    );
  } finally {
    await client.end().catch(() => undefined);
    await db.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
