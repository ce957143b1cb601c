import { Command } from 'commander';
import { CliError } from '../cli-error';
import type { CliIo } from '../cli-io';
import { parseDuration } from '../output/durations';
import { renderTable } from '../output/table';
import { databaseUrl } from './database-url';
import { loadPersistence } from './lazy-modules';

/** Rows a retention pass removed (or would remove, dry), per table. */
export type PruneReport = Record<string, number>;

/**
 * The retention operation: deletes processed inbox rows, published outbox rows and old delivery
 * attempts older than the cut-off, in batches, never a pending one.
 */
export type Pruner = (databaseUrl: string, options: { olderThanS: number; dryRun: boolean }) => Promise<PruneReport>;

/** `gatehouse prune --older-than <duration>`: retention of old bookkeeping rows. */
export function pruneCommand(io: CliIo, pruner: Pruner | undefined) {
  return new Command('prune')
    .description('delete old processed inbox, published outbox and delivery rows (never pending ones)')
    .requiredOption('--older-than <duration>', 'keep rows younger than this, e.g. 30d')
    .option('--dry-run', 'count what would be deleted, delete nothing')
    .option('--json', 'print the counts as JSON')
    .option('--database-url <url>', 'the database (default: DATABASE_URL)')
    .action(async (opts: { olderThan: string; dryRun?: boolean; json?: boolean; databaseUrl?: string }) => {
      const olderThanS = parseDuration(opts.olderThan, '--older-than');
      const url = databaseUrl(io, opts.databaseUrl);
      if (!pruner) throw new CliError('prune is not available in this build');
      const { redactUrl } = loadPersistence();
      io.log(`${opts.dryRun ? 'counting' : 'pruning'} rows older than ${opts.olderThan} in ${redactUrl(url)}`);
      const report = await pruner(url, { olderThanS, dryRun: Boolean(opts.dryRun) });
      if (opts.json) io.out(JSON.stringify({ olderThanS, dryRun: Boolean(opts.dryRun), deleted: report }));
      else {
        const rows = Object.entries(report).map(([table, n]) => [table, String(n)]);
        for (const line of renderTable(['table', opts.dryRun ? 'would delete' : 'deleted'], rows)) io.out(line);
      }
    });
}
