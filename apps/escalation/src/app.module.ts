import { Module } from '@nestjs/common';
import { ServiceCoreModule } from '@gatehouse/messaging';
import { EscalationEnv } from './config/escalation.env';
import { EscalationsModule } from './escalations/escalations.module';
import { HealthModule } from './health/health.module';
import { TimersModule } from './timers/timers.module';
import { WebhooksModule } from './webhooks/webhooks.module';

@Module({
  imports: [
    ServiceCoreModule.forService({ service: 'escalation', schema: 'escalation', env: EscalationEnv }),
    TimersModule,
    EscalationsModule,
    WebhooksModule,
    HealthModule,
  ],
})
export class AppModule {}
