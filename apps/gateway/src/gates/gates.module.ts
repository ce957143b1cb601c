import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { GatewayEnv } from '../config/gateway.env';
import { GateFeedController } from './feed/gate-feed.controller';
import { GateFeedService } from './feed/gate-feed.service';
import { GateQueryService } from './gate-query.service';
import { GateReplyService } from './gate-reply.service';
import { GatesController } from './gates.controller';
import { GateDecidedListener } from './long-poll/gate-decided.listener';
import { WaiterRegistry } from './long-poll/waiter-registry';

@Module({
  controllers: [GatesController, GateFeedController],
  providers: [
    {
      provide: WaiterRegistry,
      inject: [ConfigService],
      useFactory: (config: ConfigService<GatewayEnv, true>) =>
        new WaiterRegistry(config.get('LONG_POLL_MAX_WAITERS', { infer: true })),
    },
    GateDecidedListener,
    GateFeedService,
    GateQueryService,
    GateReplyService,
  ],
  exports: [GateReplyService],
})
export class GatesModule {}
