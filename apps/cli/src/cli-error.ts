import { ExitCode, exitCodeForStatus, type ExitCodeValue } from './exit-codes';

/** A failure the CLI explains in one line and turns into an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue = ExitCode.FAILURE,
  ) {
    super(message);
  }
}

/** The API refused a request: its `{error, message}` body and HTTP status. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly apiMessage: string,
    readonly retryAfter?: string,
  ) {
    super(
      `${status} ${code}: ${apiMessage}${retryAfter ? ` (retry after ${retryAfter}s)` : ''}`,
      exitCodeForStatus(status),
    );
  }
}

export const usageError = (message: string) => new CliError(message, ExitCode.USAGE);
export const configError = (message: string) => new CliError(message, ExitCode.CONFIG);
