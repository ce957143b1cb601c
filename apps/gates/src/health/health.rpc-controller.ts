import { Controller, Inject } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import type { NatsConnection } from '@nats-io/transport-node';
import { DataSource } from 'typeorm';
import { rpc, type HealthReply } from '@gatehouse/contracts';
import { NATS_CONNECTION } from '@gatehouse/messaging';

@Controller()
export class HealthRpcController {
  constructor(
    private readonly ds: DataSource,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
  ) {}

  /** db: `SELECT 1` succeeded; nats: the service's JetStream connection is not closed. */
  @MessagePattern(rpc.gates.health)
  async health(): Promise<HealthReply> {
    const db = await this.ds.query('SELECT 1').then(
      () => true,
      () => false,
    );
    const nats = !this.nc.isClosed();
    return { ok: db && nats, service: 'gates', db, nats };
  }
}
