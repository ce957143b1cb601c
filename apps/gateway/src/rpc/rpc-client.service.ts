import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NatsRecordBuilder, type ClientProxy } from '@nestjs/microservices';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { firstValueFrom, timeout } from 'rxjs';
import { CORRELATION_HEADER, ErrorCode } from '@gatehouse/contracts';
import type { GatewayEnv } from '../config/gateway.env';
import { currentCorrelationId } from '../http/correlation';
import { RPC_CLIENT } from './rpc.constants';
import { rpcFailure } from './rpc-error.mapping';

export interface SendOptions {
  /** Defaults to RPC_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Defaults to the current request's correlation id. */
  correlationId?: string;
  /** Do not log failures (health probes). */
  quiet?: boolean;
}

/** Request/reply to the backing services over NATS; every failure comes back as a GatehouseError. */
@Injectable()
export class RpcClientService implements OnApplicationBootstrap {
  private readonly logger = new Logger('RpcClient');
  private readonly defaultTimeoutMs: number;

  constructor(
    @Inject(RPC_CLIENT) private readonly client: ClientProxy,
    config: ConfigService<GatewayEnv, true>,
  ) {
    this.defaultTimeoutMs = config.get('RPC_TIMEOUT_MS', { infer: true });
  }

  onApplicationBootstrap(): void {
    // Connect ahead of the first request; a failure here is retried by the next send.
    this.client.connect().catch((err) => this.logger.warn(`rpc client not connected yet: ${String(err)}`));
  }

  async send<T>(pattern: string, data: unknown, options: SendOptions = {}): Promise<T> {
    const correlationId = options.correlationId ?? currentCorrelationId();
    const hdrs = natsHeaders();
    if (correlationId) hdrs.set(CORRELATION_HEADER, correlationId);
    const record = new NatsRecordBuilder(data).setHeaders(hdrs).build();
    try {
      return await firstValueFrom(
        this.client.send<T>(pattern, record).pipe(timeout({ first: options.timeoutMs ?? this.defaultTimeoutMs })),
      );
    } catch (err) {
      const failure = rpcFailure(err);
      if (
        !options.quiet &&
        (failure.code === ErrorCode.SERVICE_UNAVAILABLE || failure.code === ErrorCode.INTERNAL_ERROR)
      ) {
        this.logger.warn({
          pattern,
          correlationId,
          err: String((err as Error)?.message ?? JSON.stringify(err)),
          msg: 'rpc failed',
        });
      }
      throw failure;
    }
  }
}
