import { Module } from '@nestjs/common';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';
import { BootstrapAdminKey } from './bootstrap-admin-key';
import { BusAuthenticatorProvider } from './bus-authenticator.provider';
import { KeysRpcController } from './keys.rpc-controller';

/** API keys: the table, its request/reply patterns, the bootstrap admin key, and the bus's authenticator. */
@Module({
  controllers: [KeysRpcController],
  providers: [ApiKeysRepository, ApiKeysService, BootstrapAdminKey, BusAuthenticatorProvider],
  exports: [ApiKeysService, BusAuthenticatorProvider],
})
export class KeysModule {}
