import { Controller, Get, Res } from '@nestjs/common';
import { ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ErrorCode, GatehouseError } from '@gatehouse/contracts';
import { ApiErrors } from '../../openapi/api-answers';
import { GateFeedService, type GateFeedEvent } from './gate-feed.service';

/** A comment line this often keeps proxies from closing an idle feed. */
export const FEED_KEEPALIVE_MS = 15_000;
/**
 * A feed ends after this long and the client reconnects, so its credential is judged again: a revoked
 * key or an expired token stops hearing within minutes.
 */
export const FEED_MAX_AGE_MS = 5 * 60_000;

const frame = (e: GateFeedEvent) => `event: gate\ndata: ${JSON.stringify(e)}\n\n`;

/**
 * GET /api/stream/gates: server-sent events, one per gate that opened, was decided or was cancelled,
 * for the console's inbox to read again. A UX channel, never the truth: the events carry no state.
 * Read with fetch (so it carries the Authorization header), not EventSource.
 */
@ApiTags('gates')
@Controller('api/stream/gates')
export class GateFeedController {
  constructor(private readonly feed: GateFeedService) {}

  @Get()
  @ApiProduces('text/event-stream')
  @ApiResponse({
    status: 200,
    description: 'Server-sent events `gate` with `{type: opened|decided|cancelled, workflowId, gateKey}`',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  @ApiErrors(ErrorCode.UNAUTHENTICATED, ErrorCode.OVERLOADED)
  open(@Res() reply: FastifyReply): void {
    const res = reply.raw;
    const stop = this.feed.listen((e) => res.write(frame(e)));
    if (!stop) {
      throw new GatehouseError(ErrorCode.OVERLOADED, 'too many open gate feeds on this gateway', { retryAfterS: 5 });
    }
    reply.hijack();
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 2000\n: connected\n\n');
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), FEED_KEEPALIVE_MS);
    const maxAge = setTimeout(() => res.end(), FEED_MAX_AGE_MS);
    res.on('close', () => {
      clearInterval(keepalive);
      clearTimeout(maxAge);
      stop();
    });
  }
}
