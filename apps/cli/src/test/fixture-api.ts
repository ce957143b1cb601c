import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: URL;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface FixtureAnswer {
  status: number;
  body?: unknown;
  /** Sent as-is (an NDJSON stream) instead of `body`. */
  raw?: string;
}

/**
 * A loopback HTTP server answering recorded-shape fixtures (written from DESIGN sections 12-14) for
 * routes this build's gateway does not serve yet, recording what the CLI sent.
 */
export class FixtureApi {
  readonly requests: RecordedRequest[] = [];
  private readonly routes = new Map<string, (req: RecordedRequest) => FixtureAnswer>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<FixtureApi> {
    const server = createServer();
    const api = new FixtureApi(server);
    server.on('request', (req, res) => {
      let raw = '';
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://fixture');
        const recorded: RecordedRequest = {
          method: req.method ?? 'GET',
          url,
          headers: req.headers,
          body: raw ? JSON.parse(raw) : undefined,
        };
        api.requests.push(recorded);
        const route = api.routes.get(`${recorded.method} ${url.pathname}`);
        const answer = route
          ? route(recorded)
          : { status: 404, body: { error: 'ROUTE_NOT_FOUND', message: 'no such route' } };
        if (answer.raw !== undefined) {
          res.writeHead(answer.status, { 'content-type': 'application/x-ndjson' });
          res.end(answer.raw);
          return;
        }
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return api;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  on(method: string, path: string, answer: FixtureAnswer | ((req: RecordedRequest) => FixtureAnswer)): this {
    this.routes.set(`${method} ${path}`, typeof answer === 'function' ? answer : () => answer);
    return this;
  }

  reset(): void {
    this.requests.length = 0;
    this.routes.clear();
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
