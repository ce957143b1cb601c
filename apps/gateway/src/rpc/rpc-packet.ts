/**
 * The packet format of the NestJS NATS transport, which the backing services answer with:
 * a request is `{pattern, data, id}` as JSON (an `id` makes it a request, not an event), an answer
 * `{id, response}` or `{id, err}` (plus `isDisposed`, Nest's end-of-stream flag).
 */
let nextId = 0;

export function encodeRpcRequest(pattern: string, data: unknown): string {
  nextId = (nextId + 1) % Number.MAX_SAFE_INTEGER;
  return JSON.stringify({ pattern, data, id: String(nextId) });
}

/** An answer that is not the transport's JSON: a bug on the other side, not a failure of the request. */
export class MalformedRpcAnswerError extends Error {
  constructor(reason: string) {
    super(`malformed rpc answer: ${reason}`);
    this.name = 'MalformedRpcAnswerError';
  }
}

/** The answer's `response`; its `err` (the service's error body) is thrown as it came. */
export function decodeRpcAnswer<T>(data: Uint8Array): T {
  if (data.length === 0) throw new MalformedRpcAnswerError('empty');
  let answer: unknown;
  try {
    answer = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch {
    throw new MalformedRpcAnswerError('not JSON');
  }
  if (typeof answer !== 'object' || answer === null) throw new MalformedRpcAnswerError('not an object');
  const { err, response } = answer as { err?: unknown; response?: unknown };
  if (err !== undefined && err !== null) throw err;
  return response as T;
}
