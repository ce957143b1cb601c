import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { CORRELATION_HEADER } from '@gatehouse/contracts';
import { toHttpError } from './http-error.mapping';

/** The slice of Express's response this filter uses. */
interface HttpResponse {
  headersSent: boolean;
  status(code: number): this;
  setHeader(name: string, value: string): unknown;
  getHeader(name: string): unknown;
  json(body: unknown): unknown;
  end(): unknown;
}

/** The gateway's single exception filter: every error leaves as `{error, message, details?}`. */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<HttpResponse>();
    const { status, body, unexpected } = toHttpError(exception);
    if (unexpected) {
      this.logger.error({
        err: exception,
        correlationId: res.getHeader?.(CORRELATION_HEADER),
        msg: 'unexpected error',
      });
    }
    if (res.headersSent) {
      // A stream already started: nothing but closing it is left to do.
      res.end();
      return;
    }
    if (status === 503) res.setHeader('Retry-After', '1');
    res.status(status).json(body);
  }
}
