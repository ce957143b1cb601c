import type { FastifyInstance } from 'fastify';
import { Counter, Histogram } from 'prom-client';
import { LATENCY_BUCKETS, type Metrics } from '@gatehouse/messaging';

/**
 * Request counts and latencies by route template (`/api/runs/:wid`, never the id: the label set
 * stays small), and GET /metrics for Prometheus on the gateway's own port. Requests that matched
 * no route count as `unmatched`. Streams answered outside Fastify (the NDJSON status stream) are
 * not timed here: they last as long as the run.
 */
export function registerHttpMetrics(fastify: FastifyInstance, metrics: Metrics): void {
  const requests = new Counter({
    name: 'gatehouse_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status',
    labelNames: ['method', 'route', 'status'],
    registers: [metrics.registry],
  });
  const seconds = new Histogram({
    name: 'gatehouse_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method and route template (long-polls wait up to 30 s)',
    labelNames: ['method', 'route'],
    buckets: [...LATENCY_BUCKETS, 30],
    registers: [metrics.registry],
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    seconds.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    done();
  });
  fastify.get('/metrics', async (_request, reply) => {
    const { contentType, body } = await metrics.scrape();
    return reply.header('content-type', contentType).send(body);
  });
}
