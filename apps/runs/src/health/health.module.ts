import { Module } from '@nestjs/common';
import { HealthRpcController } from './health.rpc-controller';

@Module({ controllers: [HealthRpcController] })
export class HealthModule {}
