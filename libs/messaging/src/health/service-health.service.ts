import { Injectable } from '@nestjs/common';
import { HealthCheckService, TypeOrmHealthIndicator, type HealthCheckResult } from '@nestjs/terminus';
import type { HealthReply } from '@gatehouse/contracts';
import { ConsumersHealthIndicator } from './consumers.health';
import { NatsHealthIndicator } from './nats.health';

/** How long one dependency may take to answer a readiness check before it counts as down. */
export const HEALTH_CHECK_TIMEOUT_MS = 2000;

export interface ReadinessAnswer {
  ok: boolean;
  /** Terminus's answer: `status` and, per indicator (postgres, nats, consumers), up or down with details. */
  result: HealthCheckResult;
}

/**
 * Readiness of a backend service: Postgres answers `SELECT 1`, NATS answers a round trip, its
 * consumers are pulling and it is not draining. Liveness is the process answering at all.
 */
@Injectable()
export class ServiceHealth {
  constructor(
    private readonly health: HealthCheckService,
    private readonly postgres: TypeOrmHealthIndicator,
    private readonly nats: NatsHealthIndicator,
    private readonly consumers: ConsumersHealthIndicator,
  ) {}

  async ready(): Promise<ReadinessAnswer> {
    return this.run(true);
  }

  /**
   * The request/reply health answer the gateway's /healthz aggregates: the service's Postgres and
   * NATS. It leaves out draining, since any replica of the queue group may answer it.
   */
  async dependencies(service: string): Promise<HealthReply> {
    const { result } = await this.run(false);
    const db = result.details.postgres?.status === 'up';
    const nats = result.details.nats?.status === 'up';
    return { ok: db && nats, service, db, nats };
  }

  private async run(withConsumers: boolean): Promise<ReadinessAnswer> {
    try {
      const result = await this.health.check([
        () => this.postgres.pingCheck('postgres').withTimeout(HEALTH_CHECK_TIMEOUT_MS),
        () => this.nats.pingCheck('nats', HEALTH_CHECK_TIMEOUT_MS),
        ...(withConsumers ? [() => this.consumers.check('consumers')] : []),
      ]);
      return { ok: true, result };
    } catch (err) {
      // Terminus throws ServiceUnavailableException with the full result as its response.
      const response = (err as { getResponse?: () => unknown }).getResponse?.();
      if (response && typeof response === 'object' && 'status' in response) {
        return { ok: false, result: response as HealthCheckResult };
      }
      throw err;
    }
  }
}
