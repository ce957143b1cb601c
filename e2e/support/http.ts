import { OpenApiCheck } from './openapi-check';

export interface HttpResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/**
 * A tiny JSON client over real HTTP (fetch). `raw` sends a string body as-is. Every answer is
 * checked against the gateway's OpenAPI document (fetched once), so each e2e test also proves the
 * document true for what it exercised.
 */
export class Api {
  private contract?: Promise<OpenApiCheck>;

  /** `headers` go with every request (a credential, typically); a request's own headers win. */
  constructor(
    readonly baseUrl: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  async request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    init: { raw?: string; headers?: Record<string, string> } = {},
  ): Promise<HttpResult<T>> {
    const headers: Record<string, string> = { ...this.headers, ...init.headers };
    let payload: string | undefined;
    if (init.raw !== undefined) payload = init.raw;
    else if (body !== undefined) payload = JSON.stringify(body);
    if (payload !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.baseUrl}${path}`, { method, headers, body: payload });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    (await this.openApi()).check(method, path, res.status, res.headers.get('content-type'), parsed);
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  private openApi(): Promise<OpenApiCheck> {
    // A failed load is retried on the next answer rather than remembered: the gateway may be restarting.
    this.contract ??= OpenApiCheck.load(this.baseUrl).catch((err) => {
      this.contract = undefined;
      throw err;
    });
    return this.contract;
  }

  get<T = any>(path: string) {
    return this.request<T>('GET', path);
  }

  post<T = any>(path: string, body?: unknown, init?: { raw?: string; headers?: Record<string, string> }) {
    return this.request<T>('POST', path, body, init);
  }
}

/** Retries `probe` until it returns a value (not undefined) or the time is up. Test-side only. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The Authorization header of a key or token. */
export const bearer = (credential: string) => ({ authorization: `Bearer ${credential}` });
