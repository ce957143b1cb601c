import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { ErrorCode, GatehouseError } from '@gatehouse/contracts';

/** What a request whose body cannot be read is told, here and in the error mapping of Fastify's refusals. */
export const BODY_REFUSALS = {
  notJson: 'the body is not valid JSON',
  notJsonType: 'a request body must be sent as application/json',
  charset: 'unsupported charset; send UTF-8 JSON',
  encoding: 'unsupported content encoding',
} as const;

/** `application/json` and `application/<anything>+json`, with or without parameters. */
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)"?/i;

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Why a body cannot be read as JSON, before any of it is read; undefined when it can. */
function refusal(req: IncomingMessage): string | undefined {
  if (!hasBody(req)) return undefined;
  const type = req.headers['content-type'] ?? '';
  if (!JSON_TYPE.test(type)) return BODY_REFUSALS.notJsonType;
  const charset = CHARSET.exec(type)?.[1].toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') return BODY_REFUSALS.charset;
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return BODY_REFUSALS.encoding;
  return undefined;
}

/**
 * Middleware, run before the body is read: a body the JSON parser would not read (another content
 * type, another charset, a compressed body) is refused as 415, not ignored or misread.
 */
export function requireJsonBody(req: IncomingMessage, _res: ServerResponse, next: (err?: unknown) => void): void {
  const reason = refusal(req);
  next(reason ? new GatehouseError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, reason) : undefined);
}

/**
 * Strict JSON, as the API promises: an object or an array, never a bare scalar; an empty body is
 * no body. Keys such as `__proto__` are kept as plain data (JSON.parse makes them own properties)
 * so that the validation pipe refuses them with its own code.
 */
export function parseJsonBody(text: string): unknown {
  const first = text.trimStart()[0];
  if (first === undefined) return undefined;
  const invalid = () => new GatehouseError(ErrorCode.INVALID_JSON, BODY_REFUSALS.notJson);
  if (first !== '{' && first !== '[') throw invalid();
  try {
    return JSON.parse(text);
  } catch {
    // The parser's message can quote the body: not echoed.
    throw invalid();
  }
}

/** Sees the raw text of a body before it is parsed (a signature check); throws to refuse it. */
export type RawBodyCheck = (req: IncomingMessage, raw: string) => void;

/** Replaces Fastify's body parsers with the one above, for every JSON media type and nothing else. */
export function registerJsonBodyParser(fastify: FastifyInstance, check?: RawBodyCheck): void {
  fastify.removeAllContentTypeParsers();
  const parse = (
    req: { raw: IncomingMessage },
    body: string | Buffer,
    done: (err: Error | null, body?: unknown) => void,
  ) => {
    try {
      const text = typeof body === 'string' ? body : body.toString('utf8');
      check?.(req.raw, text);
      done(null, parseJsonBody(text));
    } catch (err) {
      done(err as Error);
    }
  };
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, parse);
  fastify.addContentTypeParser(/^application\/[\w.+-]+\+json$/i, { parseAs: 'string' }, parse);
}
