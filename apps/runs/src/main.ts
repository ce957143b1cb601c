import 'reflect-metadata';
import { bootstrapService } from '@gatehouse/messaging';
import { AppModule } from './app.module';
import { RunsEnv } from './config/runs.env';

// RUNS_NICE: on a shared host, a reply is not kept waiting behind the runs it resumes.
void bootstrapService({ service: 'runs', module: AppModule, env: RunsEnv, cpuNice: (env) => env.RUNS_NICE });
