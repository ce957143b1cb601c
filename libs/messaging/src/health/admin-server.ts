import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { adminPort, ErrorCode, HEALTH_PATHS, type CommonEnv } from '@gatehouse/contracts';
import { Metrics } from '../metrics/metrics';
import { ServiceHealth } from './service-health.service';

/**
 * The admin port of a service without HTTP of its own (ADMIN_PORT, else METRICS_PORT; 0: off):
 * GET /health/live, /health/ready and /metrics. A port that cannot be bound is logged, not fatal:
 * losing the probes or metrics must not stop replies being recorded (an orchestrator that probes
 * the port restarts the process anyway). It closes last, so readiness answers "draining" while
 * in-flight work settles.
 */
@Injectable()
export class AdminServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Admin');
  private server?: Server;

  constructor(
    @Inject(Metrics) private readonly metrics: Metrics,
    private readonly health: ServiceHealth,
    private readonly config: ConfigService<CommonEnv, true>,
  ) {}

  /** The bound port, once listening. */
  get port(): number | undefined {
    const address = this.server?.address();
    return typeof address === 'object' && address ? address.port : undefined;
  }

  async onApplicationBootstrap(): Promise<void> {
    const port = adminPort({
      ADMIN_PORT: this.config.get('ADMIN_PORT', { infer: true }),
      METRICS_PORT: this.config.get('METRICS_PORT', { infer: true }),
    });
    if (!port) return;
    const server = createServer((req, res) => {
      this.route(req, res).catch((err) => {
        this.logger.error({ err, url: req.url, msg: 'admin request failed' });
        if (!res.headersSent) json(res, 503, { error: ErrorCode.SERVICE_UNAVAILABLE, message: 'check failed' });
      });
    });
    await new Promise<void>((resolve) => {
      const refused = (err: Error) => {
        this.logger.error({ err, port, msg: 'admin endpoint not started: port unavailable' });
        resolve();
      };
      server.once('error', refused);
      server.listen(port, () => {
        server.off('error', refused);
        server.on('error', (err) => this.logger.error({ err, port, msg: 'admin endpoint error' }));
        this.server = server;
        this.logger.log({ port, msg: 'admin port: /health/live, /health/ready, /metrics' });
        resolve();
      });
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET')
      return json(res, 404, { error: ErrorCode.ROUTE_NOT_FOUND, message: 'only GET is served' });
    if (path === HEALTH_PATHS.live) return json(res, 200, { ok: true });
    if (path === HEALTH_PATHS.ready) {
      const { ok, result } = await this.health.ready();
      if (ok) return json(res, 200, { ok, ...result });
      res.setHeader('Retry-After', '1');
      return json(res, 503, {
        ok,
        ...result,
        error: ErrorCode.SERVICE_UNAVAILABLE,
        message: 'not ready: Postgres or NATS does not answer, consumers are not started, or the service is draining',
      });
    }
    if (path === HEALTH_PATHS.metrics) {
      const { contentType, body } = await this.metrics.scrape();
      res.writeHead(200, { 'content-type': contentType }).end(body);
      return;
    }
    json(res, 404, { error: ErrorCode.ROUTE_NOT_FOUND, message: `no route ${path}` });
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}
