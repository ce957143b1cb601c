import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { AddressRefusedError, guardedLookup, hostOf, isBlockedAddress } from './address-guard';

/** What is kept of a receiver's answer: enough to debug, never a whole body. */
export const RESPONSE_PREFIX_BYTES = 256;

export interface SendRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  allowPrivate: boolean;
}

export interface SendResult {
  /** The HTTP status, or null when no answer came (refused address, network error, timeout). */
  status: number | null;
  retryAfter: string | undefined;
  responsePrefix: string | null;
  error: string | null;
  latencyMs: number;
}

/**
 * One POST of a delivery. Redirects are not followed (a 3xx is a failure): a receiver could
 * otherwise bounce the request into the private network. The address is checked when the socket
 * connects, every time. The whole exchange, answer included, must fit in `timeoutMs`.
 */
export function sendWebhook(req: SendRequest): Promise<SendResult> {
  const started = performance.now();
  const done = (partial: Omit<SendResult, 'latencyMs'>): SendResult => ({
    ...partial,
    latencyMs: Math.round(performance.now() - started),
  });
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(req.url);
      const host = hostOf(url);
      if (!req.allowPrivate && isIP(host) && isBlockedAddress(host)) {
        throw new AddressRefusedError(`${host} is a private or loopback address`);
      }
      if (!req.allowPrivate && url.protocol !== 'https:') throw new AddressRefusedError('url must be https://');
    } catch (err) {
      return resolve(done({ status: null, retryAfter: undefined, responsePrefix: null, error: describe(err) }));
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    let settled = false;
    const finish = (result: Omit<SendResult, 'latencyMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(done(result));
    };
    const r = send(
      url,
      {
        method: 'POST',
        headers: {
          ...req.headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(req.body)),
          'user-agent': 'Gatehouse-Webhooks/1',
        },
        agent: false,
        ...(req.allowPrivate ? {} : { lookup: guardedLookup }),
      },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        res.on('data', (chunk: Buffer) => {
          if (kept < RESPONSE_PREFIX_BYTES) {
            chunks.push(chunk.subarray(0, RESPONSE_PREFIX_BYTES - kept));
            kept += Math.min(chunk.length, RESPONSE_PREFIX_BYTES - kept);
          }
          // The rest of a large answer is not needed: stop reading once the prefix is kept.
          if (kept >= RESPONSE_PREFIX_BYTES) res.destroy();
        });
        const end = () =>
          finish({
            status: res.statusCode ?? null,
            retryAfter: headerOf(res, 'retry-after'),
            responsePrefix: chunks.length ? Buffer.concat(chunks).toString('utf8') : null,
            error: null,
          });
        res.on('end', end);
        res.on('close', end);
        res.on('error', end);
      },
    );
    const timer = setTimeout(() => {
      finish({
        status: null,
        retryAfter: undefined,
        responsePrefix: null,
        error: `timed out after ${req.timeoutMs} ms`,
      });
      r.destroy();
    }, req.timeoutMs);
    r.on('error', (err) => finish({ status: null, retryAfter: undefined, responsePrefix: null, error: describe(err) }));
    r.end(req.body);
  });
}

function headerOf(res: IncomingMessage, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const text = e?.code ? `${e.code}: ${e.message}` : String(e?.message ?? err);
  return text.slice(0, 500);
}
