import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Metrics } from '@gatehouse/messaging';
import { queryRows } from '@gatehouse/persistence';

/**
 * `gatehouse_gates{state="pending"}`: gates waiting for a human, read from Postgres at each
 * scrape. The same for every replica: aggregate with max.
 */
@Injectable()
export class GateMetrics {
  constructor(metrics: Metrics, ds: DataSource) {
    metrics.snapshotGauge({
      name: 'gatehouse_gates',
      help: 'Gates by state: pending (waiting for a reply or their deadline). The same for every replica: aggregate with max.',
      labelNames: ['state'],
      read: async () => {
        const [{ n }] = await queryRows<{ n: number }>(
          ds,
          `SELECT count(*)::int AS n FROM gates.gates WHERE state = 'PENDING'`,
        );
        return [{ labels: { state: 'pending' }, value: n }];
      },
    });
  }
}
