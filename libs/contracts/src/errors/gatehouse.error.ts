import { ErrorCode, isErrorCode } from './error-code';

/** The error body every surface answers with (HTTP, request/reply, sys announcements). */
export interface ErrorBody {
  error: ErrorCode;
  message: string;
  details?: unknown;
}

/**
 * A domain error with a stable code. Services throw it; it crosses NATS request/reply as an
 * ErrorBody and the gateway turns it back into the HTTP status of ERROR_STATUS.
 */
export class GatehouseError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'GatehouseError';
  }

  toBody(): ErrorBody {
    return this.details === undefined
      ? { error: this.code, message: this.message }
      : { error: this.code, message: this.message, details: this.details };
  }

  static fromBody(body: unknown): GatehouseError | undefined {
    if (body && typeof body === 'object' && isErrorCode((body as ErrorBody).error)) {
      const b = body as ErrorBody;
      return new GatehouseError(b.error, String(b.message ?? b.error), b.details);
    }
    return undefined;
  }
}
