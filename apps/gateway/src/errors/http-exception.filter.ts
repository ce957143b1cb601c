import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { CORRELATION_HEADER } from '@gatehouse/contracts';
import { toHttpError } from './http-error.mapping';

/** The slice of Fastify's reply this filter uses. */
export interface HttpReply {
  /** Node's response underneath: a stream (the status NDJSON) writes to it directly. */
  raw: { headersSent: boolean; end(): unknown };
  status(code: number): this;
  header(name: string, value: string): this;
  getHeader(name: string): unknown;
  send(body: unknown): unknown;
}

/** RATE_LIMITED carries its wait in `details.retryAfterS`. */
function retryAfterS(details: unknown): number {
  const s = (details as { retryAfterS?: unknown } | undefined)?.retryAfterS;
  return typeof s === 'number' && Number.isInteger(s) && s > 0 ? s : 1;
}

/** The gateway's single exception filter: every error leaves as `{error, message, details?}`. */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<HttpReply>();
    const { status, body, unexpected } = toHttpError(exception);
    if (unexpected) {
      this.logger.error({
        err: exception,
        correlationId: res.getHeader?.(CORRELATION_HEADER),
        msg: 'unexpected error',
      });
    }
    if (res.raw.headersSent) {
      // A stream already started: nothing but closing it is left to do.
      res.raw.end();
      return;
    }
    if (status === 503) res.header('Retry-After', '1');
    if (status === 429) res.header('Retry-After', String(retryAfterS(body.details)));
    res.status(status).send(body);
  }
}
