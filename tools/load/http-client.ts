import { Agent, request } from 'node:http';
import { LatencyRecorder, type LatencySummary } from './latency';

/** The request kinds a report breaks latencies and statuses down by. */
export type RequestKind = 'intent' | 'run' | 'gate' | 'reply' | 'duplicate' | 'drift';

export interface HttpAnswer {
  /** 0 when the request failed without an HTTP answer (refused, reset, timed out). */
  status: number;
  body: any;
  ms: number;
}

export interface KindStats {
  requests: number;
  byStatus: Record<string, number>;
  /** Answers that were not what the contract promises for this request. */
  unexpected: number;
  latencyMs: LatencySummary;
}

export interface ErrorSample {
  kind: RequestKind;
  status: number;
  path: string;
  why: string;
  body: unknown;
}

/**
 * A keep-alive HTTP/1.1 JSON client over node:http (lighter on the shared CPU than fetch), which
 * records every answer per request kind: status, latency, and whether it was the expected one.
 */
export class LoadHttpClient {
  private readonly agent: Agent;
  private readonly latency = new Map<RequestKind, LatencyRecorder>();
  private readonly statuses = new Map<RequestKind, Record<string, number>>();
  private readonly unexpectedByKind = new Map<RequestKind, number>();
  readonly errorsByStatus: Record<string, number> = {};
  readonly errorSamples: ErrorSample[] = [];
  private readonly url: URL;

  constructor(
    baseUrl: string,
    maxSockets: number,
    private readonly timeoutMs = 30_000,
  ) {
    this.url = new URL(baseUrl);
    this.agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  close(): void {
    this.agent.destroy();
  }

  get(kind: RequestKind, path: string): Promise<HttpAnswer> {
    return this.send(kind, 'GET', path);
  }

  post(kind: RequestKind, path: string, body: unknown): Promise<HttpAnswer> {
    return this.send(kind, 'POST', path, body);
  }

  /**
   * Records the verdict on an answer: `why` undefined means it was what the contract promises,
   * otherwise it counts as an error under its status ("0" = no HTTP answer).
   */
  judge(kind: RequestKind, path: string, answer: HttpAnswer, why: string | undefined): boolean {
    if (why === undefined) return true;
    this.unexpectedByKind.set(kind, (this.unexpectedByKind.get(kind) ?? 0) + 1);
    const key = String(answer.status);
    this.errorsByStatus[key] = (this.errorsByStatus[key] ?? 0) + 1;
    if (this.errorSamples.length < 25)
      this.errorSamples.push({ kind, status: answer.status, path, why, body: answer.body });
    return false;
  }

  /** Every answer with a 5xx status, expected or not (none is ever expected). */
  get fiveXx(): number {
    let n = 0;
    for (const byStatus of this.statuses.values()) {
      for (const [status, count] of Object.entries(byStatus)) if (Number(status) >= 500) n += count;
    }
    return n;
  }

  get unexpected(): number {
    let n = 0;
    for (const v of this.unexpectedByKind.values()) n += v;
    return n;
  }

  stats(): Partial<Record<RequestKind, KindStats>> {
    const out: Partial<Record<RequestKind, KindStats>> = {};
    for (const [kind, rec] of this.latency) {
      out[kind] = {
        requests: rec.count,
        byStatus: this.statuses.get(kind) ?? {},
        unexpected: this.unexpectedByKind.get(kind) ?? 0,
        latencyMs: rec.summary(),
      };
    }
    return out;
  }

  private record(kind: RequestKind, status: number, ms: number): void {
    let rec = this.latency.get(kind);
    if (!rec) this.latency.set(kind, (rec = new LatencyRecorder()));
    rec.add(ms);
    const byStatus = this.statuses.get(kind) ?? {};
    byStatus[String(status)] = (byStatus[String(status)] ?? 0) + 1;
    this.statuses.set(kind, byStatus);
  }

  private send(kind: RequestKind, method: string, path: string, body?: unknown): Promise<HttpAnswer> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const started = process.hrtime.bigint();
    const elapsed = () => Number(process.hrtime.bigint() - started) / 1e6;
    return new Promise<HttpAnswer>((resolve) => {
      let settled = false;
      const done = (status: number, parsed: unknown) => {
        if (settled) return;
        settled = true;
        const ms = elapsed();
        this.record(kind, status, ms);
        resolve({ status, body: parsed, ms });
      };
      const req = request(
        {
          agent: this.agent,
          host: this.url.hostname,
          port: this.url.port,
          method,
          path,
          headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {},
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              /* not JSON: keep the text */
            }
            done(res.statusCode ?? 0, parsed);
          });
          res.on('error', (err) => done(0, String(err)));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`timed out after ${this.timeoutMs} ms`)));
      req.on('error', (err) => done(0, String(err)));
      req.end(payload);
    });
  }
}
