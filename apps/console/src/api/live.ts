import { useEffect, useRef } from 'react';
import { authHeaders } from './client';

/** Reconnect delays: 1 s doubling to 30 s, with jitter so many consoles do not return at once. */
export function backoffMs(attempt: number, random = Math.random): number {
  const base = Math.min(30_000, 1_000 * 2 ** Math.min(attempt, 5));
  return Math.round(base / 2 + random() * (base / 2));
}

/** Whether a line of GET /api/stream/gates concerns the run `wid` (one that cannot be read is assumed to). */
export function gateFactAbout(line: string, wid: string): boolean {
  try {
    const fact = JSON.parse(line) as { workflowId?: unknown };
    return typeof fact.workflowId !== 'string' || fact.workflowId === wid;
  } catch {
    return true;
  }
}

export interface LiveOptions {
  /** Each line of the stream (NDJSON lines, or SSE `data:` payloads). */
  onLine: (line: string) => void;
  /** Called on every (re)connect: what changed while away is read again here. */
  onConnect: () => void;
  /** Whether to open the stream again after it ended normally (a run's status stream ends at its end). */
  reconnectAfterEnd: () => boolean;
}

/**
 * Follows one streaming GET (NDJSON or server-sent events) with the signed-in credential: one
 * connection at a time, reconnect with backoff after an error or an end, closed with the page. The
 * lines only trigger re-reads; the page's data always comes from the ordinary GETs.
 */
export function useLiveStream(path: string | null, options: LiveOptions): void {
  const opts = useRef(options);
  opts.current = options;
  useEffect(() => {
    if (!path) return;
    const stop = new AbortController();
    let attempt = 0;
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        const t = setTimeout(resolve, ms);
        stop.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
    const follow = async () => {
      while (!stop.signal.aborted) {
        try {
          const res = await fetch(path, { headers: authHeaders(), signal: stop.signal });
          if (res.ok && res.body) {
            attempt = 0;
            opts.current.onConnect();
            await readLines(res.body, (line) => opts.current.onLine(line));
            if (!opts.current.reconnectAfterEnd()) return;
          }
        } catch {
          if (stop.signal.aborted) return;
        }
        await sleep(backoffMs(attempt++));
      }
    };
    void follow();
    return () => stop.abort();
  }, [path]);
}

async function readLines(body: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffered += decoder.decode(value, { stream: true });
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const raw of lines) {
      const line = raw.startsWith('data:') ? raw.slice(5).trim() : raw.trim();
      // SSE comments, event names and retry hints are not data.
      if (line && !raw.startsWith(':') && !raw.startsWith('event:') && !raw.startsWith('retry:')) onLine(line);
    }
  }
}
