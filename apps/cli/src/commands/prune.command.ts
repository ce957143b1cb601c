import { Command } from 'commander';
import { usageError } from '../cli-error';
import type { CliIo } from '../cli-io';
import { parseDuration } from '../output/durations';
import { renderTable } from '../output/table';
import { databaseUrl } from './database-url';
import { loadMessaging, loadPersistence } from './lazy-modules';

/** Rows a retention pass removed (or would remove, dry), by schema and table. */
export type PruneReport = Record<string, Record<string, number>>;

/**
 * The retention operation: deletes processed inbox rows and published outbox rows older than the
 * cut-off, in batches, never a pending one. It refuses (PruneRefused) a cut-off that could still
 * matter, e.g. one shorter than the longest stream retention.
 */
export type Pruner = (databaseUrl: string, options: { olderThanS: number; dryRun: boolean }) => Promise<PruneReport>;

/** The pruner of @gatehouse/messaging, loaded when `prune` runs; its refusals are usage errors. */
const messagingPruner: Pruner = async (url, options) => {
  const { pruneMessagingTables, PruneRefused } = loadMessaging();
  try {
    return await pruneMessagingTables(url, options);
  } catch (err) {
    if (err instanceof PruneRefused) throw usageError(`prune refused: ${err.message}`);
    throw err;
  }
};

/** `gatehouse prune --older-than <duration>`: retention of old bookkeeping rows. */
export function pruneCommand(io: CliIo, pruner: Pruner = messagingPruner) {
  return new Command('prune')
    .description('delete old processed inbox, published outbox and delivered webhook rows (never pending ones)')
    .requiredOption('--older-than <duration>', 'delete rows older than this, e.g. 45d (at least the stream retention)')
    .option('--dry-run', 'count what would be deleted, delete nothing')
    .option('--json', 'print the counts as JSON')
    .option('--database-url <url>', 'the database (default: DATABASE_URL)')
    .action(async (opts: { olderThan: string; dryRun?: boolean; json?: boolean; databaseUrl?: string }) => {
      const olderThanS = parseDuration(opts.olderThan, '--older-than');
      const url = databaseUrl(io, opts.databaseUrl);
      const dryRun = Boolean(opts.dryRun);
      io.log(
        `${dryRun ? 'counting' : 'pruning'} rows older than ${opts.olderThan} in ${loadPersistence().redactUrl(url)}`,
      );
      const report = await pruner(url, { olderThanS, dryRun });
      if (opts.json) return io.out(JSON.stringify({ olderThanS, dryRun, deleted: report }));
      const rows = Object.entries(report).flatMap(([schema, tables]) =>
        Object.entries(tables).map(([table, n]) => [schema, table, String(n)]),
      );
      for (const line of renderTable(['schema', 'table', dryRun ? 'would delete' : 'deleted'], rows)) io.out(line);
    });
}
