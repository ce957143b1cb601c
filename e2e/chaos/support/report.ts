import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { scratchDir } from '../../../tools/test-support/paths';

/**
 * Prints a chaos test's figures and appends them as one JSON line to .tmp/chaos/figures.jsonl,
 * which docs/reliability.md quotes.
 */
export function reportFigures(test: string, figures: Record<string, unknown>): void {
  const line = { test, at: new Date().toISOString(), ...figures };
  appendFileSync(join(scratchDir('chaos'), 'figures.jsonl'), `${JSON.stringify(line)}\n`);
  process.stdout.write(`\n[chaos] ${test}\n${JSON.stringify(figures, null, 2)}\n`);
}
