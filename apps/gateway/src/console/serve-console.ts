import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ErrorCode } from '@gatehouse/contracts';

/** Where the console is served, and where its build lies beside the compiled gateway (dist/console). */
export const CONSOLE_PATH = '/console';
export const CONSOLE_BUILD_DIR = join(__dirname, '..', '..', '..', '..', 'console');

/**
 * The page only runs the API with the token the user typed; nothing else may load or frame it.
 * React sets styles through the DOM, which `style-src 'self'` allows.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/**
 * Serves the web console at /console: its files (hashed names under assets/, cached for good), and
 * index.html for every other path below /console, so that a page's address can be reloaded or shared
 * (client-side routes). The page itself is public like /docs; every API call it makes carries the
 * user's token. Without a build (a gateway started from sources) /console answers 404.
 */
export function serveConsole(fastify: FastifyInstance, dir = CONSOLE_BUILD_DIR): void {
  const indexFile = join(dir, 'index.html');
  if (!existsSync(indexFile)) return;
  const indexHtml = readFileSync(indexFile, 'utf8');
  fastify.register(async (instance) => {
    const fastifyStatic = (await import('@fastify/static')).default;
    instance.addHook('onSend', async (_req, reply) => {
      reply.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
      reply.header('X-Content-Type-Options', 'nosniff');
      reply.header('Referrer-Policy', 'no-referrer');
    });
    await instance.register(fastifyStatic, {
      root: dir,
      prefix: `${CONSOLE_PATH}/`,
      decorateReply: false,
      // Files get their own routes; the wildcard below answers every client-side route with the page.
      wildcard: false,
      index: false,
      setHeaders: (res, path) => {
        res.header(
          'Cache-Control',
          path.includes(`${join(dir, 'assets')}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
      },
    });
    const page = async (_req: unknown, reply: FastifyReply) =>
      reply.type('text/html; charset=utf-8').header('Cache-Control', 'no-cache').send(indexHtml);
    instance.get(CONSOLE_PATH, page);
    instance.get(`${CONSOLE_PATH}/*`, async (req, reply) => {
      // A missing file is a 404, not the page: a stale tab asking for an old bundle must not get HTML.
      if (req.url.startsWith(`${CONSOLE_PATH}/assets/`)) {
        return reply.code(404).send({ error: ErrorCode.ROUTE_NOT_FOUND, message: 'no such console file' });
      }
      return page(req, reply);
    });
  });
}
