import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { Metrics } from '@gatehouse/messaging';
import { TimersRepository } from './timers.repository';

/** A timer still ARMED this long after its deadline means no scheduler is firing it. */
export const OVERDUE_AFTER_S = 10;

/**
 * Deadlines: timers fired by this process, and, read from Postgres at each scrape, the timers
 * armed and those overdue (armed, deadline more than OVERDUE_AFTER_S ago). Overdue above zero for
 * longer than TIMER_RESCAN_S is the alert: gates waiting past their deadline.
 */
@Injectable()
export class TimerMetrics {
  private readonly fired: Counter;

  constructor(metrics: Metrics, timers: TimersRepository) {
    this.fired = new Counter({
      name: 'gatehouse_timers_fired_total',
      help: 'Gate deadlines fired by this process (each announced once as deadline-passed)',
      registers: [metrics.registry],
    });
    metrics.snapshotGauge({
      name: 'gatehouse_timers',
      help: `Timers in Postgres by state: armed, and overdue (armed, deadline passed more than ${OVERDUE_AFTER_S} s ago). The same for every replica: aggregate with max.`,
      labelNames: ['state'],
      read: async () => {
        const { armed, overdue } = await timers.armedCounts(OVERDUE_AFTER_S);
        return [
          { labels: { state: 'armed' }, value: armed },
          { labels: { state: 'overdue' }, value: overdue },
        ];
      },
    });
  }

  firedBatch(count: number): void {
    this.fired.inc(count);
  }
}
