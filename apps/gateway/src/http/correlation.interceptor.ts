import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { Observable } from 'rxjs';
import { correlationIdOf, withCorrelationId } from './correlation';

/** Makes the request's correlation id the current one while its handler runs. */
@Injectable()
export class CorrelationInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const id = correlationIdOf(context.switchToHttp().getRequest<IncomingMessage>());
    return new Observable((subscriber) => withCorrelationId(id, () => next.handle().subscribe(subscriber)));
  }
}
