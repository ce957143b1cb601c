import 'reflect-metadata';
import { bootstrapService } from '@gatehouse/messaging';
import { AppModule } from './app.module';
import { EscalationEnv } from './config/escalation.env';

void bootstrapService({ service: 'escalation', module: AppModule, env: EscalationEnv });
