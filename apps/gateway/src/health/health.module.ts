import { Module } from '@nestjs/common';
import { DrainState } from '@gatehouse/messaging';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';

@Module({ controllers: [HealthController], providers: [HealthService, DrainState] })
export class HealthModule {}
