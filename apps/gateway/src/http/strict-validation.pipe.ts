import { ValidationPipe, type ArgumentMetadata } from '@nestjs/common';
import { assertSafeBody } from '@gatehouse/contracts';

/** The global ValidationPipe, with the body checked by assertSafeBody first. */
export class StrictValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body') assertSafeBody(value);
    return super.transform(value, metadata);
  }
}
