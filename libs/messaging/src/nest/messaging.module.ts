import { Module, type DynamicModule } from '@nestjs/common';
import { ConsumerHost } from './consumer-host.service';
import { OutboxService } from './outbox.service';
import { MESSAGING_OPTIONS, type MessagingOptions } from './tokens';

/** Outbox relay and exactly-once consumers for one service schema. Needs NatsModule and a DataSource. */
@Module({})
export class MessagingModule {
  static forService(options: MessagingOptions): DynamicModule {
    return {
      module: MessagingModule,
      global: true,
      providers: [{ provide: MESSAGING_OPTIONS, useValue: options }, OutboxService, ConsumerHost],
      exports: [OutboxService, ConsumerHost, MESSAGING_OPTIONS],
    };
  }
}
