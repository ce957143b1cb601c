/**
 * The contract floor: what the least code that honours the contract for a reply does on this
 * machine, against the raw unit, so the product's numbers can be read against both.
 *
 *   node dist/tools/bench/contract-floor.js [--replies 3000] [--concurrency 32] [--rate 100,200]
 *                                           [--rounds 3] [--no-baseline]
 *
 * Per reply the floor does every hop the contract asks for and nothing else, without a framework:
 * HTTP into a gateway process, a NATS request to a gates process, one autocommit statement (the gate
 * leaves PENDING, the ledger row and the outbox row of the decided event), the answer back, the
 * product's outbox relay (claim, JetStream publish with Nats-Msg-Id, mark), and two downstream
 * processes (the run's service and the timer's) that each receive the decision through a durable
 * pull consumer, record it with its inbox row in one statement, and double-ack it. Not included: the
 * rest of a run (its steps, its sandbox task, its end), fail-closed validation beyond the body's
 * shape, duplicate and drift handling, audit, request logs.
 *
 * Each round starts a private nats-server and a fresh database, runs a warm-up, the raw unit at the
 * same concurrency, a closed loop and each `--rate`; the summary gives medians over the rounds and
 * writes the JSON report to .tmp/bench/.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runBaseline } from '../load/baseline';
import { median } from '../load/latency';
import { CpuWindow, round, type WatchedProcess } from '../load/proc-stats';
import { cpuMsPer } from '../load/scenario-run';
import { createTestDatabase } from '../test-support/database';
import { startNatsServer } from '../test-support/nats-server';
import { scratchDir } from '../test-support/paths';
import { runFloorPhase, type FloorPhase } from './floor/floor-phase';
import { FloorStack } from './floor/floor-stack';

interface Round {
  raw?: { unitsPerS: number; cpuMsPerUnit: number };
  phases: FloorPhase[];
}

function positiveInt(name: string, v: string | undefined, fallback: number): number {
  const n = v === undefined ? fallback : Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} takes a positive integer`);
  return n;
}

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      replies: { type: 'string' },
      concurrency: { type: 'string' },
      rate: { type: 'string' },
      rounds: { type: 'string' },
      warmup: { type: 'string' },
      'no-baseline': { type: 'boolean', default: false },
    },
  });
  return {
    replies: positiveInt('replies', values.replies, 3000),
    concurrency: positiveInt('concurrency', values.concurrency, 32),
    rates: values.rate ? values.rate.split(',').map((r) => positiveInt('rate', r, 0)) : [],
    rounds: positiveInt('rounds', values.rounds, 3),
    warmup: positiveInt('warmup', values.warmup, 300),
    baseline: !values['no-baseline'],
  };
}

type Args = ReturnType<typeof parse>;

async function oneRound(a: Args, log: (s: string) => void): Promise<Round> {
  const nats = await startNatsServer('floor');
  const db = await createTestDatabase('floor');
  const stack = await FloorStack.start(db.url, nats.url).catch(async (err) => {
    await nats.stop();
    await db.drop();
    throw err;
  });
  try {
    await runFloorPhase(stack, { replies: a.warmup, concurrency: a.concurrency });
    const round_: Round = { phases: [] };
    if (a.baseline) {
      const cpu = new CpuWindow();
      const watched = async (): Promise<WatchedProcess[]> => [
        { name: 'nats-server', pid: nats.pid },
        ...(await stack.backends()).map((pid) => ({ name: 'postgres backends', pid })),
        { name: 'floor-driver', pid: process.pid },
      ];
      let window;
      const b = await runBaseline({
        databaseUrl: db.url,
        natsUrl: nats.url,
        units: a.replies,
        concurrency: a.concurrency,
        poolMax: Math.min(a.concurrency, 16),
        hooks: {
          beforeUnits: async () => cpu.start(await watched()),
          afterUnits: async () => {
            window = cpu.stop(await watched());
          },
        },
      });
      round_.raw = { unitsPerS: b.unitsPerS, cpuMsPerUnit: window ? cpuMsPer(window, b.units).total : NaN };
      log(`  raw unit: ${b.unitsPerS} units/s, ${round_.raw.cpuMsPerUnit} ms CPU per unit`);
    }
    for (const ratePerS of [undefined, ...a.rates]) {
      const p = await runFloorPhase(stack, {
        replies: a.replies,
        concurrency: a.concurrency,
        ratePerS,
        natsPid: nats.pid,
      });
      round_.phases.push(p);
      log(
        `  ${p.mode}: ${p.repliesPerS} replies/s, p50 ${p.latencyMs.p50} / p99 ${p.latencyMs.p99} ms, ` +
          `${p.cpuMsPerReply.total} ms CPU and ${sum(p.ctxSwitchesPerReply)} context switches per reply, ` +
          `checks ${p.checks.ok ? 'ok' : 'FAILED'}`,
      );
    }
    return round_;
  } finally {
    await stack.stop();
    await nats.stop();
    await db.drop();
  }
}

const sum = (r: Record<string, number>) => round(Object.values(r).reduce((x, y) => x + y, 0));

function summary(a: Args, rounds: Round[]): string[] {
  const lines = [`contract floor, medians of ${rounds.length} rounds (${a.replies} replies per phase):`];
  const raw = rounds.map((r) => r.raw).filter((r) => r !== undefined);
  if (raw.length)
    lines.push(
      `  raw unit (c=${a.concurrency}): ${median(raw.map((r) => r.unitsPerS))} units/s, ` +
        `${median(raw.map((r) => r.cpuMsPerUnit))} ms CPU per unit`,
    );
  rounds[0].phases.forEach((first, i) => {
    const ps = rounds.map((r) => r.phases[i]);
    const ratio = raw.length === rounds.length ? median(ps.map((p, j) => p.repliesPerS / raw[j].unitsPerS)) : undefined;
    lines.push(
      `  ${first.mode.padEnd(13)} ${median(ps.map((p) => p.repliesPerS))} replies/s` +
        (ratio === undefined ? '' : ` (${round(ratio, 3)} of the raw unit)`) +
        `, p50 ${median(ps.map((p) => p.latencyMs.p50))} / p99 ${median(ps.map((p) => p.latencyMs.p99))} ms` +
        ` [p99s ${ps.map((p) => p.latencyMs.p99).join(', ')}]` +
        `, ${median(ps.map((p) => p.cpuMsPerReply.total))} ms CPU per reply` +
        `, ${median(ps.map((p) => sum(p.ctxSwitchesPerReply)))} context switches per reply` +
        `, checks ${ps.every((p) => p.checks.ok && p.accepted === p.replies) ? 'ok' : 'FAILED'}`,
    );
  });
  return lines;
}

async function main(): Promise<void> {
  const a = parse(process.argv.slice(2));
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const rounds: Round[] = [];
  for (let i = 0; i < a.rounds; i++) {
    log(`round ${i + 1} of ${a.rounds}`);
    rounds.push(await oneRound(a, log));
  }
  const file = join(scratchDir('bench'), `contract-floor-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ args: a, rounds }, null, 2)}\n`);
  process.stdout.write(`${[...summary(a, rounds), `  report: ${file}`].join('\n')}\n`);
  const failed = rounds.some((r) => r.phases.some((p) => !p.checks.ok || p.accepted !== p.replies));
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
