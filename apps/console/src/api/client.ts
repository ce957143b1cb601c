import { session } from './session';

/** An answer other than 2xx: the API's stable code and its message, shown as they are. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Called when the API says the credential is no good (401), so the app can ask to sign in again. */
let onUnauthenticated: () => void = () => undefined;
export function whenUnauthenticated(handler: () => void): void {
  onUnauthenticated = handler;
}

export function authHeaders(token = session.token()): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: string; message?: string };
    return new ApiError(res.status, body.error ?? `HTTP_${res.status}`, body.message ?? res.statusText);
  } catch {
    return new ApiError(res.status, `HTTP_${res.status}`, text || res.statusText || 'the request failed');
  }
}

export async function request<T>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: {
        ...authHeaders(token ?? session.token()),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'the gateway did not answer; check your connection and try again');
  }
  if (!res.ok) {
    const err = await errorOf(res);
    if (res.status === 401 && token === undefined) onUnauthenticated();
    throw err;
  }
  return (await res.json()) as T;
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body: unknown) => request<T>('POST', path, body),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  delete: <T>(path: string) => request<T>('DELETE', path),
};

/** Path segments are always encoded: ids and keys come from URLs the user may have edited. */
export const enc = encodeURIComponent;
