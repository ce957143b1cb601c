import { Worker } from 'node:worker_threads';

/** One request as k6's `http.batch` takes it. */
export interface SyncRequest {
  method: string;
  url: string;
  body?: string | null;
  headers?: Record<string, string>;
}

export interface SyncResponse {
  /** 0 when no HTTP answer came (connection refused, timeout). */
  status: number;
  body: string;
  error?: string;
  durationMs: number;
}

// The worker runs the requests of one call concurrently with fetch and writes the answers, as JSON,
// into the shared buffer; the calling thread sleeps in Atomics.wait until it has.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const control = new Int32Array(workerData.control);
const data = new Uint8Array(workerData.data);
parentPort.on('message', async ({ requests, timeoutMs }) => {
  const answers = await Promise.all(requests.map(async (r) => {
    const started = performance.now();
    try {
      const res = await fetch(r.url, {
        method: r.method, headers: r.headers, body: r.body ?? undefined, signal: AbortSignal.timeout(timeoutMs),
      });
      return { status: res.status, body: await res.text(), durationMs: performance.now() - started };
    } catch (err) {
      return { status: 0, body: '', error: String(err), durationMs: performance.now() - started };
    }
  }));
  let bytes = Buffer.from(JSON.stringify(answers));
  if (bytes.length > data.length) bytes = Buffer.from(JSON.stringify({ tooLarge: bytes.length }));
  data.set(bytes);
  Atomics.store(control, 1, bytes.length);
  Atomics.store(control, 0, 1);
  Atomics.notify(control, 0);
});
`;

/**
 * Blocking HTTP for code written for a synchronous runtime (k6 scripts): each call returns only
 * when every answer is in. Meant for tests and tools, never for a service.
 */
export class SyncHttp {
  private readonly control = new Int32Array(new SharedArrayBuffer(8));
  private readonly data: Uint8Array;
  private readonly worker: Worker;

  constructor(
    private readonly timeoutMs = 30_000,
    bufferBytes = 16 * 1024 * 1024,
  ) {
    this.data = new Uint8Array(new SharedArrayBuffer(bufferBytes));
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { control: this.control.buffer, data: this.data.buffer },
    });
  }

  request(req: SyncRequest): SyncResponse {
    return this.batch([req])[0];
  }

  batch(requests: SyncRequest[]): SyncResponse[] {
    if (requests.length === 0) return [];
    Atomics.store(this.control, 0, 0);
    this.worker.postMessage({ requests, timeoutMs: this.timeoutMs });
    const outcome = Atomics.wait(this.control, 0, 0, this.timeoutMs + 5_000);
    if (outcome === 'timed-out') throw new Error(`no answer from the HTTP worker within ${this.timeoutMs + 5_000} ms`);
    const length = Atomics.load(this.control, 1);
    const parsed = JSON.parse(Buffer.from(this.data.subarray(0, length)).toString('utf8'));
    if (!Array.isArray(parsed)) throw new Error(`answers too large for the shared buffer (${parsed.tooLarge} bytes)`);
    return parsed as SyncResponse[];
  }

  /** Blocks the calling thread for `ms` (k6's sleep). */
  static sleep(ms: number): void {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }
}
