import { Module } from '@nestjs/common';
import { EscalationsRepository } from './escalations.repository';
import { EscalationsRpcController } from './escalations.rpc-controller';
import { EscalationsService } from './escalations.service';

@Module({
  controllers: [EscalationsRpcController],
  providers: [EscalationsRepository, EscalationsService],
  exports: [EscalationsRepository],
})
export class EscalationsModule {}
