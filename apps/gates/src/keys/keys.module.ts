import { Module } from '@nestjs/common';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';
import { BootstrapAdminKey } from './bootstrap-admin-key';
import { KeysRpcController } from './keys.rpc-controller';

/** API keys: the table, its request/reply patterns and the bootstrap admin key. */
@Module({
  controllers: [KeysRpcController],
  providers: [ApiKeysRepository, ApiKeysService, BootstrapAdminKey],
  exports: [ApiKeysService],
})
export class KeysModule {}
