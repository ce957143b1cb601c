import { Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
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
    new Gauge({
      name: 'gatehouse_gates',
      help: 'Gates by state: pending (waiting for a reply or their deadline). The same for every replica: aggregate with max.',
      labelNames: ['state'],
      registers: [metrics.registry],
      async collect() {
        const rows = await queryRows<{ n: number }>(
          ds,
          `SELECT count(*)::int AS n FROM gates.gates WHERE state = 'PENDING'`,
        ).catch(() => undefined);
        // Postgres not answering: report nothing rather than the last value, which would look current.
        if (rows) this.set({ state: 'pending' }, rows[0].n);
        else this.reset();
      },
    });
  }
}
