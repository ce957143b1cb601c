import { parseArgs } from 'node:util';

export interface LoadArgs {
  scenario: string;
  spawn: boolean;
  baseUrl?: string;
  databaseUrl?: string;
  natsUrl?: string;
  runs?: number;
  concurrency?: number;
  /** Whole repetitions of the scenario (a fresh stack each when spawning); the summary gives medians. */
  repeat: number;
  /** Run the raw-unit baseline before the scenario (default on). */
  baseline: boolean;
  /** Connections of the baseline's Postgres pool (default: min(concurrency, 16)). */
  baselinePool?: number;
  env: Record<string, string>;
  gateTimeoutS: number;
  terminalTimeoutS: number;
  idleS: number;
  outDir?: string;
  /** Spawned stack only: CPU-profile every service during the reply phase into this folder. */
  profileDir?: string;
  /**
   * Spawned stack only: pause (SIGSTOP) the runs service during the reply phase, so the phase
   * measures the reply path alone (gateway, gates, escalation) without the runs resuming beside it;
   * it is resumed (SIGCONT) right after, and every check still applies.
   */
  isolateReplies: boolean;
  /**
   * Open-loop replies: this many a second on a fixed schedule, whatever the answers' latency,
   * instead of `concurrency` closed-loop workers. For "the rate it takes at p99 < X ms". Several
   * rates (`--rate 60,80,100`) make a sweep: `repeat` fresh runs at each, then the highest rate
   * whose median reply p99 stays under `p99TargetMs`.
   */
  rates?: number[];
  p99TargetMs: number;
  quiet: boolean;
}

export const USAGE = `usage: node dist/tools/load/runner.js --scenario <load-1k|burst|short|soak|idle-gates|baseline>
         (--spawn | --base-url URL --database-url URL [--nats-url URL])
         [--runs N] [--concurrency N] [--repeat K] [--no-baseline] [--baseline-pool N]
         [--env KEY=VALUE ...] [--gate-timeout-s S] [--terminal-timeout-s S] [--idle-s S]
         [--out-dir DIR] [--profile-dir DIR] [--isolate-replies] [--rate R[,R...]] [--p99-target-ms MS]
         [--quiet]`;

export class UsageError extends Error {}

function int(v: string | undefined, name: string, min = 1): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got "${v}"`);
  return n;
}

/** `R` or `R1,R2,...`: distinct integers >= 1, in rising order. */
function rateList(v: string | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  const rates = v.split(',').map((r) => int(r.trim(), 'rate')!);
  if (new Set(rates).size !== rates.length) throw new UsageError(`--rate lists a rate twice: "${v}"`);
  return rates.sort((a, b) => a - b);
}

function url(v: string | undefined, name: string, protocols: string[]): string | undefined {
  if (v === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new UsageError(`--${name} is not a URL: "${v}"`);
  }
  if (!protocols.includes(u.protocol)) throw new UsageError(`--${name} must be a ${protocols.join(' or ')} URL`);
  return v;
}

export function parseLoadArgs(argv: string[]): LoadArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        scenario: { type: 'string' },
        spawn: { type: 'boolean', default: false },
        'base-url': { type: 'string' },
        'database-url': { type: 'string' },
        'nats-url': { type: 'string' },
        runs: { type: 'string' },
        concurrency: { type: 'string' },
        repeat: { type: 'string' },
        baseline: { type: 'boolean' },
        'no-baseline': { type: 'boolean', default: false },
        'baseline-pool': { type: 'string' },
        env: { type: 'string', multiple: true, default: [] },
        'gate-timeout-s': { type: 'string' },
        'terminal-timeout-s': { type: 'string' },
        'idle-s': { type: 'string' },
        'out-dir': { type: 'string' },
        'profile-dir': { type: 'string' },
        'isolate-replies': { type: 'boolean', default: false },
        rate: { type: 'string' },
        'p99-target-ms': { type: 'string' },
        quiet: { type: 'boolean', default: false },
      },
    }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (!parsed.scenario) throw new UsageError('--scenario is required');
  const baseUrl = url(parsed['base-url'], 'base-url', ['http:', 'https:']);
  const databaseUrl = url(parsed['database-url'], 'database-url', ['postgres:', 'postgresql:']);
  const natsUrl = url(parsed['nats-url'], 'nats-url', ['nats:', 'tls:']);
  if (parsed.spawn && (baseUrl || databaseUrl || natsUrl))
    throw new UsageError('--spawn starts its own stack: drop --base-url/--database-url/--nats-url');
  if (!parsed.spawn) {
    const needsHttp = parsed.scenario !== 'baseline';
    if ((needsHttp && !baseUrl) || !databaseUrl) {
      throw new UsageError(`give --spawn, or ${needsHttp ? '--base-url and ' : ''}--database-url of a running stack`);
    }
  }
  if (parsed.baseline && parsed['no-baseline'])
    throw new UsageError('--baseline and --no-baseline contradict each other');
  const env: Record<string, string> = {};
  for (const kv of parsed.env as string[]) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(kv);
    if (!m) throw new UsageError(`--env takes KEY=VALUE, got "${kv}"`);
    env[m[1]] = m[2];
  }
  if (Object.keys(env).length && !parsed.spawn) throw new UsageError('--env applies to a spawned stack only');
  if (parsed['profile-dir'] && !parsed.spawn) throw new UsageError('--profile-dir applies to a spawned stack only');
  if (parsed['isolate-replies'] && !parsed.spawn) {
    throw new UsageError('--isolate-replies applies to a spawned stack only');
  }
  if (parsed.rate !== undefined && ['baseline', 'idle-gates'].includes(parsed.scenario)) {
    throw new UsageError('--rate paces replies: it applies to the reply scenarios only');
  }
  return {
    scenario: parsed.scenario,
    spawn: parsed.spawn as boolean,
    baseUrl,
    databaseUrl,
    natsUrl,
    runs: int(parsed.runs, 'runs'),
    concurrency: int(parsed.concurrency, 'concurrency'),
    repeat: int(parsed.repeat, 'repeat') ?? 1,
    baseline: !parsed['no-baseline'],
    baselinePool: int(parsed['baseline-pool'], 'baseline-pool'),
    env,
    gateTimeoutS: int(parsed['gate-timeout-s'], 'gate-timeout-s') ?? 120,
    terminalTimeoutS: int(parsed['terminal-timeout-s'], 'terminal-timeout-s') ?? 300,
    idleS: int(parsed['idle-s'], 'idle-s') ?? 30,
    outDir: parsed['out-dir'],
    profileDir: parsed['profile-dir'],
    isolateReplies: parsed['isolate-replies'] as boolean,
    rates: rateList(parsed.rate),
    p99TargetMs: int(parsed['p99-target-ms'], 'p99-target-ms') ?? 50,
    quiet: parsed.quiet as boolean,
  };
}
