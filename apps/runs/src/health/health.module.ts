import { Module } from '@nestjs/common';
import { HealthRpcController } from './health.rpc-controller';
import { HealthService } from './health.service';

@Module({ controllers: [HealthRpcController], providers: [HealthService] })
export class HealthModule {}
