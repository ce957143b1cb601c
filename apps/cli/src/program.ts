import { Command, CommanderError } from 'commander';
import { EnvValidationError } from '@gatehouse/contracts';
import { ApiError, CliError } from './cli-error';
import type { CliIo } from './cli-io';
import { approveCommand, rejectCommand } from './commands/reply.command';
import { keysCommand } from './commands/keys.command';
import { migrateCommand } from './commands/migrate.command';
import { oracleCommand } from './commands/oracle.command';
import { pendingCommand } from './commands/pending.command';
import { pruneCommand, type Pruner } from './commands/prune.command';
import { runControlCommand } from './commands/run-control.command';
import { showCommand } from './commands/show.command';
import { statusCommand } from './commands/status.command';
import { watchCommand } from './commands/watch.command';
import { webhooksCommand } from './commands/webhooks.command';
import { EXIT_CODES_HELP, ExitCode } from './exit-codes';

const SETTINGS_HELP = `
Settings (flags win): GATEHOUSE_URL (default http://127.0.0.1:3001), GATEHOUSE_TOKEN (an API key or
JWT), GATEHOUSE_ACTOR (AUTH_MODE=off only), DATABASE_URL (migrate, oracle, prune). NO_COLOR turns
colour off; tables and colour appear only on a terminal, --json prints JSON only on stdout.`;

export interface CliDependencies {
  /** The retention operation behind `prune` (default: @gatehouse/messaging's). */
  pruner?: Pruner;
}

/** Every command, one file each under commands/, in the order `--help` lists them. */
function commands(io: CliIo, deps: CliDependencies): Command[] {
  return [
    pendingCommand(io),
    showCommand(io),
    approveCommand(io),
    rejectCommand(io),
    statusCommand(io),
    watchCommand(io),
    runControlCommand(io, 'pause'),
    runControlCommand(io, 'resume'),
    runControlCommand(io, 'cancel'),
    keysCommand(io),
    webhooksCommand(io),
    oracleCommand(io),
    pruneCommand(io, deps.pruner),
    migrateCommand(io),
  ];
}

/** exitOverride on every level: commander must hand errors back, never exit the process itself. */
function throwInsteadOfExit(command: Command): Command {
  command.exitOverride().configureOutput({
    writeOut: (s) => process.stdout.write(s),
    writeErr: (s) => process.stderr.write(s),
  });
  for (const sub of command.commands) throwInsteadOfExit(sub);
  return command;
}

export function buildProgram(io: CliIo, deps: CliDependencies = {}): Command {
  const program = new Command('gatehouse')
    .description('Operate a Gatehouse installation: decide gates, follow and control runs, manage keys')
    .version(process.env.npm_package_version ?? '0.1.0')
    .showHelpAfterError()
    .addHelpText('after', `${SETTINGS_HELP}\n${EXIT_CODES_HELP}`);
  for (const command of commands(io, deps)) {
    command.showHelpAfterError();
    program.addCommand(command);
  }
  return throwInsteadOfExit(program);
}

/** Runs the CLI and returns its exit code (see exit-codes.ts). */
export async function runCli(argv: string[], io: CliIo, deps: CliDependencies = {}): Promise<number> {
  try {
    await buildProgram(io, deps).parseAsync(argv, { from: 'user' });
    return ExitCode.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end by "throwing" with exit code 0; a bare `gatehouse keys` shows the
      // help with exit code 1: a missing subcommand is a usage error.
      return err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    if (err instanceof EnvValidationError) {
      io.log(err.message);
      return ExitCode.CONFIG;
    }
    if (err instanceof ApiError) {
      io.log(`error: ${err.message}`);
      return err.exitCode;
    }
    if (err instanceof CliError) {
      io.log(`error: ${err.message}`);
      return err.exitCode;
    }
    io.log(`error: ${err instanceof Error ? err.message : String(err)}`);
    return ExitCode.FAILURE;
  }
}
