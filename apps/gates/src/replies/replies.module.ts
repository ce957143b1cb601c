import { Module } from '@nestjs/common';
import { ConsumerHost } from '@gatehouse/messaging';
import { GatesModule } from '../gates/gates.module';
import { KeysModule } from '../keys/keys.module';
import { HumanIngressHandler } from './human-ingress.handler';
import { InteractionsRepository } from './interactions.repository';
import { RepliesRpcController } from './replies.rpc-controller';
import { ReplyFastPathRepository } from './reply-fast-path.repository';
import { ReplyMetrics } from './reply-metrics';
import { ReplyService } from './reply.service';

/** Human replies: the reply rules, the interaction ledger, and the JetStream ingress. */
@Module({
  imports: [GatesModule, KeysModule],
  controllers: [RepliesRpcController],
  providers: [InteractionsRepository, ReplyFastPathRepository, ReplyService, HumanIngressHandler, ReplyMetrics],
})
export class RepliesModule {
  constructor(host: ConsumerHost, ingress: HumanIngressHandler) {
    host.register(ingress);
  }
}
