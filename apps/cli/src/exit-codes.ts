/** Exit codes scripts can trust (also in `gatehouse --help` and docs/cli.md). */
export const ExitCode = {
  OK: 0,
  /** The command ran and failed: the API or the database answered an error, a run ended unsuccessfully. */
  FAILURE: 1,
  /** Unknown command or option, missing argument, a bad value, or the API refused the input (400). */
  USAGE: 2,
  /** The run, gate, key or webhook does not exist (404). */
  NOT_FOUND: 3,
  /** No credential, or the credential was refused or lacks the role (401, 403). */
  AUTH: 4,
  /** The request conflicts with the current state: gate closed, dedupe conflict, plan changed, last admin key (409). */
  CONFLICT: 5,
  /** Not finished yet: the run is still going (`status --exit-status`, `watch --timeout`). */
  PENDING: 8,
  /** A setting (GATEHOUSE_URL, DATABASE_URL, ...) is invalid (EX_CONFIG, as the services use). */
  CONFIG: 78,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODES_HELP = `
Exit codes:
  0   success
  1   failure (an API or database error; with --exit-status: the run did not succeed)
  2   usage error, or the API refused the input (400)
  3   not found (404: run, gate, key, webhook)
  4   authentication needed or refused (401, 403)
  5   conflict (409: gate closed, dedupe conflict, already voted, plan changed, last admin key)
  8   pending: the run has not finished
  78  invalid setting (GATEHOUSE_URL, DATABASE_URL, ...)`;

/** Maps an HTTP status of the API to the exit code a script sees. */
export function exitCodeForStatus(status: number): ExitCodeValue {
  if (status === 401 || status === 403) return ExitCode.AUTH;
  if (status === 404) return ExitCode.NOT_FOUND;
  if (status === 409) return ExitCode.CONFLICT;
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) return ExitCode.USAGE;
  return ExitCode.FAILURE;
}
