import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { rpc, type GateReplyResult } from '@gatehouse/contracts';
import { ReplyMetrics } from './reply-metrics';
import { ReplyService } from './reply.service';

@Controller()
export class RepliesRpcController {
  constructor(
    private readonly replies: ReplyService,
    private readonly metrics: ReplyMetrics,
  ) {}

  /** Refusals are thrown as GatehouseError; the global RpcErrorFilter answers `{error, message}`. */
  @MessagePattern(rpc.gates.reply)
  async reply(@Payload() command: unknown): Promise<GateReplyResult> {
    try {
      const result = await this.replies.reply(command);
      this.metrics.judged('rpc', result);
      return result;
    } catch (err) {
      this.metrics.refused('rpc', err);
      throw err;
    }
  }
}
