import { AdapterError } from './adapter.error';

/** A live executor's answer larger than this is refused rather than stored. */
const MAX_RESPONSE_BYTES = 1_000_000;

/** POSTs `body` as JSON and returns the parsed JSON answer; any failure is an AdapterError. */
export async function postJson(adapter: string, url: string, body: unknown, timeoutMs: number): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const e = err as Error;
    const reason = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : e.message;
    throw new AdapterError(adapter, `POST ${url} failed: ${reason}`);
  }
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    throw new AdapterError(adapter, `reading the answer of ${url} failed: ${(err as Error).message}`);
  }
  if (!res.ok) throw new AdapterError(adapter, `POST ${url} answered ${res.status}: ${text.slice(0, 200)}`);
  if (Buffer.byteLength(text) > MAX_RESPONSE_BYTES) {
    throw new AdapterError(adapter, `answer of ${url} is larger than ${MAX_RESPONSE_BYTES} bytes`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AdapterError(adapter, `answer of ${url} is not JSON`);
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
