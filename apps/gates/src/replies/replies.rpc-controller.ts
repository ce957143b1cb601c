import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { rpc, type GateReplyResult } from '@gatehouse/contracts';
import { ReplyService } from './reply.service';

@Controller()
export class RepliesRpcController {
  constructor(private readonly replies: ReplyService) {}

  /** Refusals are thrown as GatehouseError; the global RpcErrorFilter answers `{error, message}`. */
  @MessagePattern(rpc.gates.reply)
  reply(@Payload() command: unknown): Promise<GateReplyResult> {
    return this.replies.reply(command);
  }
}
