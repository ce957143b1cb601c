import { Controller, Get, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ApiAnswer } from '../openapi/api-answers';
import { ErrorCode, HEALTH_PATHS } from '@gatehouse/contracts';
import { DrainState } from '@gatehouse/messaging';
import { HealthService, type GatewayHealth } from './health.service';

/** The slice of Fastify's reply this controller uses. */
interface StatusResponse {
  status(code: number): unknown;
  header(name: string, value: string): unknown;
}

type HealthAnswer = GatewayHealth | (GatewayHealth & { error: ErrorCode; message: string });

@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthService,
    private readonly drain: DrainState,
  ) {}

  @Get('healthz')
  @ApiAnswer(200, 'Health', 'Postgres, NATS and every service answer')
  @ApiAnswer(503, 'Unready', 'NATS or a service is not ready (`SERVICE_UNAVAILABLE`, with `Retry-After`)')
  healthz(@Res({ passthrough: true }) res: StatusResponse): Promise<HealthAnswer> {
    return this.ready(res);
  }

  /** The process is up and serving HTTP; says nothing about its dependencies. */
  @Get(HEALTH_PATHS.live)
  @ApiAnswer(200, 'Live', 'The process serves HTTP')
  live(): { ok: true } {
    return { ok: true };
  }

  @Get(HEALTH_PATHS.ready)
  @ApiAnswer(200, 'Health', 'Postgres, NATS and every service answer')
  @ApiAnswer(503, 'Unready', 'NATS or a service is not ready (`SERVICE_UNAVAILABLE`, with `Retry-After`)')
  async ready(@Res({ passthrough: true }) res: StatusResponse): Promise<HealthAnswer> {
    const health = await this.health.check();
    const draining = this.drain.draining;
    if (health.ok && !draining) return health;
    res.status(503);
    res.header('Retry-After', '1');
    const message = draining ? 'the gateway is stopping' : 'NATS or a backing service is not ready';
    return { ...health, ok: false, error: ErrorCode.SERVICE_UNAVAILABLE, message };
  }
}
