import { Module } from '@nestjs/common';
import { PolicyFileModule, ServiceCoreModule } from '@gatehouse/messaging';
import { GatesEnv } from './config/gates.env';
import { GatesModule } from './gates/gates.module';
import { HealthModule } from './health/health.module';
import { InboxModule } from './inbox/inbox.module';
import { KeysModule } from './keys/keys.module';
import { RepliesModule } from './replies/replies.module';

@Module({
  imports: [
    ServiceCoreModule.forService({ service: 'gates', schema: 'gates', env: GatesEnv }),
    PolicyFileModule,
    GatesModule,
    InboxModule,
    RepliesModule,
    KeysModule,
    HealthModule,
  ],
})
export class AppModule {}
