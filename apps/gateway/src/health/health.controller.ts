import { Controller, Get, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ErrorCode } from '@gatehouse/contracts';
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
  constructor(private readonly health: HealthService) {}

  @Get('healthz')
  healthz(@Res({ passthrough: true }) res: StatusResponse): Promise<HealthAnswer> {
    return this.ready(res);
  }

  /** The process is up and serving HTTP; says nothing about its dependencies. */
  @Get('health/live')
  live(): { ok: true } {
    return { ok: true };
  }

  @Get('health/ready')
  async ready(@Res({ passthrough: true }) res: StatusResponse): Promise<HealthAnswer> {
    const health = await this.health.check();
    if (health.ok) return health;
    res.status(503);
    res.header('Retry-After', '1');
    return { ...health, error: ErrorCode.SERVICE_UNAVAILABLE, message: 'NATS or a backing service is not ready' };
  }
}
