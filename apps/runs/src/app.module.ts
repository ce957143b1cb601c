import { Module } from '@nestjs/common';
import { PolicyFileModule, ServiceCoreModule } from '@gatehouse/messaging';
import { RunsEnv } from './config/runs.env';
import { ControlModule } from './control/control.module';
import { HealthModule } from './health/health.module';
import { PipelineModule } from './pipeline/pipeline.module';
import { RunsModule } from './runs/runs.module';

@Module({
  imports: [
    ServiceCoreModule.forService({ service: 'runs', schema: 'runs', env: RunsEnv }),
    PolicyFileModule,
    RunsModule,
    PipelineModule,
    ControlModule,
    HealthModule,
  ],
})
export class AppModule {}
