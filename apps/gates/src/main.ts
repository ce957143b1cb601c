import 'reflect-metadata';
import { bootstrapService } from '@gatehouse/messaging';
import { AppModule } from './app.module';
import { GatesEnv } from './config/gates.env';

void bootstrapService({ service: 'gates', module: AppModule, env: GatesEnv });
