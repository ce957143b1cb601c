import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { GatehouseError } from '@gatehouse/contracts';
import { Metrics } from '@gatehouse/messaging';

export type ReplySurface = 'rpc' | 'jetstream';

/**
 * `gatehouse_gate_replies_total{surface, outcome}`: how replies were judged. `outcome` is
 * `accepted`, `duplicate`, or the refusal's error code (`DEDUPE_CONFLICT`, `GATE_CLOSED`, ...): a
 * small, fixed set. Bus replies are counted when judged inside their consumer transaction, so a
 * group-commit batch that rolls back and is settled again counts its replies twice (rare: it takes a
 * failed transaction). The ledger and the audit trail in Postgres remain the record; this is a rate.
 */
@Injectable()
export class ReplyMetrics {
  private readonly replies: Counter<'surface' | 'outcome'>;

  constructor(metrics: Metrics) {
    this.replies = new Counter({
      name: 'gatehouse_gate_replies_total',
      help: 'Gate replies judged, by surface (rpc: REST through the gateway; jetstream: human.>) and outcome',
      labelNames: ['surface', 'outcome'],
      registers: [metrics.registry],
    });
  }

  judged(surface: ReplySurface, result: { duplicate: boolean }): void {
    this.replies.inc({ surface, outcome: result.duplicate ? 'duplicate' : 'accepted' });
  }

  refused(surface: ReplySurface, err: unknown): void {
    this.replies.inc({ surface, outcome: err instanceof GatehouseError ? err.code : 'error' });
  }
}
