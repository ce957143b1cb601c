import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { rpc, type ApiKeyView, type VerifiedApiKey } from '@gatehouse/contracts';
import { ApiKeysService } from './api-keys.service';

/** `rpc.gates.keys.*` from the gateway (which checked the caller is an admin). */
@Controller()
export class KeysRpcController {
  constructor(private readonly keys: ApiKeysService) {}

  @MessagePattern(rpc.gates.keys.create)
  create(@Payload() body: unknown): Promise<ApiKeyView> {
    return this.keys.create(body);
  }

  @MessagePattern(rpc.gates.keys.list)
  list(): Promise<ApiKeyView[]> {
    return this.keys.list();
  }

  @MessagePattern(rpc.gates.keys.revoke)
  revoke(@Payload() body: unknown): Promise<ApiKeyView> {
    return this.keys.revoke(body);
  }

  @MessagePattern(rpc.gates.keys.verify)
  verify(@Payload() body: unknown): Promise<VerifiedApiKey> {
    return this.keys.verify(body);
  }
}
