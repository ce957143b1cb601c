import { Module } from '@nestjs/common';
import { InboxRepository } from './inbox.repository';
import { InboxRpcController } from './inbox.rpc-controller';
import { InboxService } from './inbox.service';

/** The operators' inbox across runs (DESIGN section 14). */
@Module({
  controllers: [InboxRpcController],
  providers: [InboxRepository, InboxService],
})
export class InboxModule {}
