import { Catch, Logger, type ArgumentsHost, type RpcExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';
import { toErrorBody } from './rpc-error';

/** Every request handler's error leaves the service as `{error, message}` with a stable code. */
@Catch()
export class RpcErrorFilter implements RpcExceptionFilter<unknown> {
  private readonly logger = new Logger('RpcErrorFilter');

  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    const { body, unexpected } = toErrorBody(exception);
    if (unexpected) this.logger.error({ err: exception, msg: 'request handler failed' });
    return throwError(() => body);
  }
}
