import { createServer, type Server } from 'node:http';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { CommonEnv } from '@gatehouse/contracts';
import { Metrics } from './metrics';

/**
 * Serves GET /metrics on METRICS_PORT (0: off) for a service without HTTP of its own. A port that
 * cannot be bound is logged, not fatal: losing the metrics must not stop replies being recorded.
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private server?: Server;

  constructor(
    @Inject(Metrics) private readonly metrics: Metrics,
    private readonly config: ConfigService<CommonEnv, true>,
  ) {}

  /** The bound port, once listening. */
  get port(): number | undefined {
    const address = this.server?.address();
    return typeof address === 'object' && address ? address.port : undefined;
  }

  async onApplicationBootstrap(): Promise<void> {
    const port = this.config.get('METRICS_PORT', { infer: true });
    if (!port) return;
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
        return;
      }
      this.metrics.scrape().then(
        ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
        (err) => {
          this.logger.error({ err, msg: 'metrics scrape failed' });
          res.writeHead(503, { 'content-type': 'text/plain' }).end('scrape failed\n');
        },
      );
    });
    await new Promise<void>((resolve) => {
      const refused = (err: Error) => {
        this.logger.error({ err, port, msg: 'metrics endpoint not started: port unavailable' });
        resolve();
      };
      server.once('error', refused);
      server.listen(port, () => {
        server.off('error', refused);
        server.on('error', (err) => this.logger.error({ err, port, msg: 'metrics endpoint error' }));
        this.server = server;
        this.logger.log({ port, msg: 'metrics on /metrics' });
        resolve();
      });
    });
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
