import type { Rng } from './prng';
import { sleep } from './prng';

export interface Response<T = any> {
  status: number;
  body: T;
  headers: Headers;
  /** Attempts this call took (1 = first try answered). */
  attempts: number;
  gateway: number;
}

/** Every HTTP answer (and every connection failure, as 'NET') the chaos clients saw, by status. */
export class StatusTally {
  readonly counts: Record<string, number> = {};
  /** Answers (not connection errors) per gateway index. */
  readonly byGateway: Record<number, number> = {};
  /** 503s that came without a Retry-After header (the contract requires one). */
  readonly without503RetryAfter: string[] = [];
  /** Any 5xx other than 503, with the request: each one is a product bug. */
  readonly serverErrors: string[] = [];

  add(key: string | number): void {
    this.counts[key] = (this.counts[key] ?? 0) + 1;
  }

  total(): number {
    return Object.values(this.counts).reduce((a, b) => a + b, 0);
  }
}

export interface RequestOptions {
  /** Which gateway; default: a random one per attempt. */
  gateway?: number;
  /** Give up (throw) after this long; default the client's. */
  deadlineMs?: number;
  /** Extra request headers (an `X-Gatehouse-Actor` under AUTH_MODE=off, for instance). */
  headers?: Record<string, string>;
}

/**
 * The client side of the contract under faults: a request that fails with a connection error or a
 * 503 is sent again, unchanged (same dedupeKey), until it gets another answer. Everything it sees
 * is tallied.
 */
export class ChaosClient {
  constructor(
    readonly gateways: string[],
    private readonly rng: Rng,
    readonly tally: StatusTally,
    private readonly defaultDeadlineMs = 120_000,
    /** Headers for a request (a credential under AUTH_MODE=required); none by default. */
    private readonly headersFor: (method: string, path: string) => Record<string, string> = () => ({}),
  ) {}

  async request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    options: RequestOptions = {},
  ): Promise<Response<T>> {
    const until = Date.now() + (options.deadlineMs ?? this.defaultDeadlineMs);
    let lastProblem = '';
    for (let attempt = 1; ; attempt++) {
      const gateway = options.gateway ?? this.rng.int(0, this.gateways.length - 1);
      const headers = this.headersFor(method, path);
      try {
        const res = await fetch(`${this.gateways[gateway]}${path}`, {
          method,
          headers: {
            ...headers,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            ...options.headers,
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(40_000),
        });
        const text = await res.text();
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          /* keep text */
        }
        this.tally.add(res.status);
        this.tally.byGateway[gateway] = (this.tally.byGateway[gateway] ?? 0) + 1;
        if (res.status >= 500 && res.status !== 503)
          this.tally.serverErrors.push(`${method} ${path} -> ${res.status} ${text.slice(0, 300)}`);
        if (res.status === 503) {
          if (!res.headers.get('retry-after')) this.tally.without503RetryAfter.push(`${method} ${path}`);
          lastProblem = `503 ${text.slice(0, 200)}`;
        } else {
          return { status: res.status, body: parsed as T, headers: res.headers, attempts: attempt, gateway };
        }
      } catch (err) {
        this.tally.add('NET');
        lastProblem = String((err as Error)?.cause ?? err);
      }
      if (Date.now() > until)
        throw new Error(
          `${method} ${path}: no answer but connection errors/503 until the deadline; last: ${lastProblem}`,
        );
      await sleep(this.rng.int(100, 400));
    }
  }

  get<T = any>(path: string, options?: RequestOptions) {
    return this.request<T>('GET', path, undefined, options);
  }

  post<T = any>(path: string, body: unknown, options?: RequestOptions) {
    return this.request<T>('POST', path, body, options);
  }
}
