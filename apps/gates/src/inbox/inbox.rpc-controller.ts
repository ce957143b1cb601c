import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { rpc, type InboxPage } from '@gatehouse/contracts';
import { InboxService } from './inbox.service';

@Controller()
export class InboxRpcController {
  constructor(private readonly inbox: InboxService) {}

  @MessagePattern(rpc.gates.inbox)
  page(@Payload() body: unknown): Promise<InboxPage> {
    return this.inbox.page(body);
  }
}
