import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
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
 * Idle pooled connections close after this long (or sooner when the receiver's Keep-Alive header asks),
 * below the 5 s that Node's and most servers' keep-alive allow, so a reused connection is rarely one
 * the receiver is closing at that very moment.
 */
const IDLE_MS = 4000;

/**
 * Connections are kept alive and reused per origin (the agent pools by host and port). The guarded
 * agents check the address of every new connection (guardedLookup): a pooled one was checked when it
 * connected. Private-address deliveries (WEBHOOK_ALLOW_PRIVATE) have agents of their own, so a
 * connection opened without the check is never handed to a delivery that needs it.
 */
const AGENTS = {
  guarded: {
    'http:': new HttpAgent({ keepAlive: true, timeout: IDLE_MS, lookup: guardedLookup }),
    'https:': new HttpsAgent({ keepAlive: true, timeout: IDLE_MS, lookup: guardedLookup }),
  },
  open: {
    'http:': new HttpAgent({ keepAlive: true, timeout: IDLE_MS }),
    'https:': new HttpsAgent({ keepAlive: true, timeout: IDLE_MS }),
  },
};

/** The receiver closed an idle pooled connection as it was reused: nothing was answered on it. */
const isStaleConnection = (req: ClientRequest, err: NodeJS.ErrnoException) =>
  req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE');

/**
 * One POST of a delivery. Redirects are not followed (a 3xx is a failure): a receiver could
 * otherwise bounce the request into the private network. The address is checked when a socket
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
      if (url.protocol !== 'https:' && url.protocol !== 'http:')
        throw new AddressRefusedError('url must be http(s)://');
    } catch (err) {
      return resolve(done({ status: null, retryAfter: undefined, responsePrefix: null, error: describe(err) }));
    }
    const https = url.protocol === 'https:';
    const send = https ? httpsRequest : httpRequest;
    const agent = AGENTS[req.allowPrivate ? 'open' : 'guarded'][https ? 'https:' : 'http:'];
    let settled = false;
    let current: ClientRequest | undefined;
    const finish = (result: Omit<SendResult, 'latencyMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(done(result));
    };
    const post = (mayRetryStale: boolean) => {
      let answered = false;
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
          agent,
        },
        (res: IncomingMessage) => {
          answered = true;
          const chunks: Buffer[] = [];
          let kept = 0;
          res.on('data', (chunk: Buffer) => {
            if (kept < RESPONSE_PREFIX_BYTES) {
              chunks.push(chunk.subarray(0, RESPONSE_PREFIX_BYTES - kept));
              kept += Math.min(chunk.length, RESPONSE_PREFIX_BYTES - kept);
            }
            // The rest of a large answer is not needed: stop reading once the prefix is kept (the
            // connection is closed instead of returned to the pool).
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
      current = r;
      r.on('error', (err: NodeJS.ErrnoException) => {
        // Once, on a fresh or another pooled connection: the receiver never saw this attempt answered.
        if (!settled && !answered && mayRetryStale && isStaleConnection(r, err)) return post(false);
        finish({ status: null, retryAfter: undefined, responsePrefix: null, error: describe(err) });
      });
      r.end(req.body);
    };
    const timer = setTimeout(() => {
      finish({
        status: null,
        retryAfter: undefined,
        responsePrefix: null,
        error: `timed out after ${req.timeoutMs} ms`,
      });
      current?.destroy();
    }, req.timeoutMs);
    post(true);
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
