import 'reflect-metadata';
import { bootstrapService } from '@gatehouse/messaging';
import { AppModule } from './app.module';
import { RunsEnv } from './config/runs.env';

void bootstrapService({ service: 'runs', module: AppModule, env: RunsEnv });
