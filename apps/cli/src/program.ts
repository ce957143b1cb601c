import { Command, CommanderError } from 'commander';
import { EnvValidationError } from '@gatehouse/contracts';
import type { CliIo } from './cli-io';
import { migrateCommand } from './commands/migrate.command';
import { EXIT_CODES_HELP, ExitCode } from './exit-codes';

/** Every command, one file each under commands/. */
const COMMANDS = [migrateCommand];

export function buildProgram(io: CliIo): Command {
  const program = new Command('gatehouse')
    .description('Operate a Gatehouse installation')
    .version(process.env.npm_package_version ?? '0.1.0')
    .showHelpAfterError()
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });
  for (const command of COMMANDS) program.addCommand(command(io).exitOverride());
  return program;
}

/** Runs the CLI and returns its exit code (see exit-codes.ts). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    await buildProgram(io).parseAsync(argv, { from: 'user' });
    return ExitCode.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end by "throwing" with exit code 0.
      return err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    if (err instanceof EnvValidationError) {
      io.log(err.message);
      return ExitCode.CONFIG;
    }
    io.log(`error: ${err instanceof Error ? err.message : String(err)}`);
    return ExitCode.FAILURE;
  }
}
