/** Exit codes scripts can trust (also in `gatehouse --help` and docs/cli.md). */
export const ExitCode = {
  OK: 0,
  /** The command ran and failed (a database or NATS error, a migration that did not apply). */
  FAILURE: 1,
  /** Unknown command or option, missing argument. */
  USAGE: 2,
  /** A setting in the environment is invalid (EX_CONFIG, as the services use). */
  CONFIG: 78,
} as const;

export const EXIT_CODES_HELP = `
Exit codes:
  0   success
  1   the command failed (database, NATS)
  2   usage error (unknown command or option)
  78  invalid setting in the environment`;
