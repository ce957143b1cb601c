import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../test-support/paths';

/** Traffic shape of one scenario in tools/load/scenarios.json (shared with the k6 scripts). */
export interface Scenario {
  name: string;
  description: string;
  runs: number;
  concurrency: number;
  /** Share of gates that also get an exact replay of their reply (200 duplicate:true). */
  duplicateShare: number;
  /** Share of gates that also get a reply with the same dedupe key and another payload (409). */
  driftShare: number;
  workload: { concurrency: number; steps: number; sandboxMinutes: number };
}

export const SCENARIOS_FILE = join(ROOT, 'tools', 'load', 'scenarios.json');

const DEFAULT_WORKLOAD = { concurrency: 1, steps: 1, sandboxMinutes: 1 };

export function loadScenarios(file = SCENARIOS_FILE): Record<string, Record<string, unknown>> {
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>;
}

function share(v: unknown, what: string): number {
  const n = v === undefined ? 0 : Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new Error(`${what} must be a number in 0..1`);
  return n;
}

function positiveInt(v: unknown, what: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what} must be a positive integer`);
  return n;
}

/**
 * The named scenario with the command line's overrides. `idle-gates` is not in the file: it is
 * the runs of `load-1k` without replies (see idle.ts).
 */
export function resolveScenario(
  name: string,
  overrides: { runs?: number; concurrency?: number } = {},
  all = loadScenarios(),
): Scenario {
  const raw =
    name === 'idle-gates'
      ? { ...all['load-1k'], description: 'runs held at a pending gate while the services idle' }
      : all[name];
  if (!raw)
    throw new Error(`unknown scenario "${name}"; known: ${[...Object.keys(all), 'idle-gates', 'baseline'].join(', ')}`);
  if (raw.runs === undefined && overrides.runs === undefined) {
    throw new Error(`scenario "${name}" is time-based (k6 only); give --runs N to run it as a fixed count`);
  }
  const s: Scenario = {
    name,
    description: String(raw.description ?? ''),
    runs: positiveInt(overrides.runs ?? raw.runs, `${name}.runs`),
    concurrency: positiveInt(overrides.concurrency ?? raw.concurrency, `${name}.concurrency`),
    duplicateShare: share(raw.duplicateShare, `${name}.duplicateShare`),
    driftShare: share(raw.driftShare, `${name}.driftShare`),
    workload: { ...DEFAULT_WORKLOAD, ...(raw.workload as object | undefined) },
  };
  if (s.duplicateShare + s.driftShare > 1) throw new Error(`${name}: duplicateShare + driftShare must be at most 1`);
  return s;
}
