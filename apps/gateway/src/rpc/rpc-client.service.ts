import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { CORRELATION_HEADER, ErrorCode } from '@gatehouse/contracts';
import { NATS_CONNECTION } from '@gatehouse/messaging';
import type { GatewayEnv } from '../config/gateway.env';
import { currentCorrelationId } from '../http/correlation';
import { rpcFailure } from './rpc-error.mapping';
import { decodeRpcAnswer, encodeRpcRequest } from './rpc-packet';

export interface SendOptions {
  /** Defaults to RPC_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Defaults to the current request's correlation id. */
  correlationId?: string;
  /** Do not log failures (health probes). */
  quiet?: boolean;
}

/**
 * Request/reply to the backing services over NATS; every failure comes back as a GatehouseError.
 *
 * The services answer with the NestJS NATS transport; this client speaks its packet format
 * (rpc-packet.ts) over the process's one NATS connection and the client library's shared reply
 * inbox. Nest's own ClientNats subscribes and unsubscribes a fresh inbox for every request, which
 * costs nats-server a SUB and an UNSUB (and the gateway their writes) per request.
 */
@Injectable()
export class RpcClientService {
  private readonly logger = new Logger('RpcClient');
  private readonly defaultTimeoutMs: number;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    config: ConfigService<GatewayEnv, true>,
  ) {
    this.defaultTimeoutMs = config.get('RPC_TIMEOUT_MS', { infer: true });
  }

  async send<T>(pattern: string, data: unknown, options: SendOptions = {}): Promise<T> {
    const correlationId = options.correlationId ?? currentCorrelationId();
    const hdrs = natsHeaders();
    if (correlationId) hdrs.set(CORRELATION_HEADER, correlationId);
    try {
      const msg = await this.nc.request(pattern, encodeRpcRequest(pattern, data), {
        timeout: options.timeoutMs ?? this.defaultTimeoutMs,
        headers: hdrs,
      });
      return decodeRpcAnswer<T>(msg.data);
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
