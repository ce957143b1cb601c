import { Command } from 'commander';
import { CliError } from '../cli-error';
import type { CliIo } from '../cli-io';
import { ExitCode } from '../exit-codes';
import { renderTable } from '../output/table';
import { styleFor } from '../output/style';
import { databaseUrl } from './database-url';
import { loadOracle, loadPersistence } from './lazy-modules';

/**
 * `gatehouse oracle`: the SQL oracle (DESIGN section 7) against DATABASE_URL, in one read-only
 * snapshot. Exit 0 when every check is empty, 1 when any finds rows.
 */
export function oracleCommand(io: CliIo): Command {
  return new Command('oracle')
    .description('check the exactly-once invariants in SQL; exit 1 if any is broken')
    .option('--json', 'print the full report (violations and facts) as JSON')
    .option('--database-url <url>', 'the database (default: DATABASE_URL)')
    .action(async (opts: { json?: boolean; databaseUrl?: string }) => {
      const url = databaseUrl(io, opts.databaseUrl);
      const { redactUrl } = loadPersistence();
      const { runOracle } = loadOracle();
      io.log(`checking ${redactUrl(url)}`);
      const report = await runOracle(url);
      if (opts.json) io.out(JSON.stringify(report));
      else {
        const style = styleFor(io);
        const rows = Object.entries(report.violations).map(([name, found]) => [
          name,
          found.length ? style.red(`${found.length} violation(s)`) : style.green('ok'),
        ]);
        for (const line of renderTable(['check', 'result'], rows)) io.out(line);
        for (const [name, found] of Object.entries(report.violations)) {
          for (const row of found.slice(0, 5)) io.out(`${name}: ${JSON.stringify(row)}`);
        }
      }
      if (!report.ok) throw new CliError('the oracle found violations', ExitCode.FAILURE);
    });
}
