import { ApiError, CliError } from '../cli-error';
import type { ApiSettings } from './api-settings';

type Query = Record<string, string | number | boolean | undefined>;

/** A small client of the gateway's REST API over Node's fetch: JSON in, JSON out, refusals as ApiError. */
export class GatehouseApi {
  constructor(readonly settings: ApiSettings) {}

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, undefined, query);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body ?? {});
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  /** Opens a streaming GET (NDJSON); the caller reads `body`. */
  async stream(path: string, signal?: AbortSignal): Promise<Response> {
    const res = await this.send('GET', path, undefined, undefined, signal);
    if (!res.ok) throw await this.refusal(res);
    return res;
  }

  async request<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
    const res = await this.send(method, path, body, query);
    if (!res.ok) throw await this.refusal(res);
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  private async send(
    method: string,
    path: string,
    body?: unknown,
    query?: Query,
    signal?: AbortSignal,
  ): Promise<Response> {
    const url = new URL(`${this.settings.baseUrl}${path}`);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.settings.token) headers.authorization = `Bearer ${this.settings.token}`;
    if (this.settings.actor) headers['x-gatehouse-actor'] = this.settings.actor;
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
    } catch (err) {
      if (signal?.aborted) throw err;
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(`cannot reach Gatehouse at ${this.settings.baseUrl}: ${cause?.code ?? cause?.message ?? err}`);
    }
  }

  /** Every API error body is `{error, message}`; anything else (a proxy's page) is reported by status. */
  private async refusal(res: Response): Promise<ApiError> {
    const text = await res.text().catch(() => '');
    let code = `HTTP_${res.status}`;
    let message = res.statusText || 'no message';
    try {
      const parsed = JSON.parse(text) as { error?: unknown; message?: unknown };
      if (typeof parsed.error === 'string') code = parsed.error;
      if (typeof parsed.message === 'string') message = parsed.message;
      else if (Array.isArray(parsed.message)) message = parsed.message.join('; ');
    } catch {
      if (text) message = text.slice(0, 200);
    }
    return new ApiError(res.status, code, message, res.headers.get('retry-after') ?? undefined);
  }
}

/** Path segments are user input: escape them so `../` or `?` cannot change the route. */
export const seg = (value: string) => encodeURIComponent(value);
