import { Inject, Injectable } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { DataSource } from 'typeorm';
import type { HealthReply } from '@gatehouse/contracts';
import { NATS_CONNECTION } from '@gatehouse/messaging';

const DB_CHECK_TIMEOUT_MS = 2000;

@Injectable()
export class HealthService {
  constructor(
    private readonly ds: DataSource,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
  ) {}

  async check(): Promise<HealthReply> {
    const [db, nats] = await Promise.all([this.dbOk(), Promise.resolve(!this.nc.isClosed())]);
    return { ok: db && nats, service: 'runs', db, nats };
  }

  private async dbOk(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), DB_CHECK_TIMEOUT_MS);
    });
    try {
      return await Promise.race([
        this.ds.query('SELECT 1').then(
          () => true,
          () => false,
        ),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}
