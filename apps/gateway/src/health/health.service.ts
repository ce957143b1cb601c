import { Inject, Injectable } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { rpc, type HealthReply } from '@gatehouse/contracts';
import { NATS_CONNECTION } from '@gatehouse/messaging';
import { RpcClientService } from '../rpc/rpc-client.service';

export const HEALTH_TIMEOUT_MS = 1000;
const BACKENDS = ['runs', 'gates', 'escalation'] as const;
type Backend = (typeof BACKENDS)[number];

export interface ServiceHealth extends HealthReply {
  /** Why the service counts as down, when it does. */
  reason?: string;
}

export interface GatewayHealth {
  ok: boolean;
  nats: boolean;
  services: Record<Backend, ServiceHealth>;
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

/** Ready only when NATS answers and every backing service says its database and NATS are fine. */
@Injectable()
export class HealthService {
  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly rpc: RpcClientService,
  ) {}

  async check(): Promise<GatewayHealth> {
    const [nats, ...replies] = await Promise.all([this.natsOk(), ...BACKENDS.map((svc) => this.serviceHealth(svc))]);
    const services = Object.fromEntries(BACKENDS.map((svc, i) => [svc, replies[i]])) as Record<Backend, ServiceHealth>;
    const ok = nats && replies.every((r) => r.ok && r.db && r.nats);
    return { ok, nats, services };
  }

  private async natsOk(): Promise<boolean> {
    if (this.nc.isClosed()) return false;
    try {
      await withTimeout(this.nc.flush(), HEALTH_TIMEOUT_MS, 'nats');
      return true;
    } catch {
      return false;
    }
  }

  private async serviceHealth(service: Backend): Promise<ServiceHealth> {
    try {
      const reply = await this.rpc.send<HealthReply>(
        rpc[service].health,
        {},
        { timeoutMs: HEALTH_TIMEOUT_MS, quiet: true },
      );
      return { ...reply, service, ok: reply.ok === true && reply.db === true && reply.nats === true };
    } catch (err) {
      return { ok: false, service, db: false, nats: false, reason: (err as Error).message ?? 'no answer' };
    }
  }
}
