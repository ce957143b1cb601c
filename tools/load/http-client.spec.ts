import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LoadHttpClient } from './http-client';

/** A local HTTP server that answers whatever status the path names, e.g. /status/503. */
function statusServer(): Promise<Server> {
  const srv = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = Number(/\/status\/(\d+)/.exec(req.url ?? '')?.[1] ?? 200);
      if (req.url === '/hang-up') return req.socket.destroy();
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ echo: chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : null }));
    });
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(srv)));
}

describe('LoadHttpClient', () => {
  let srv: Server;
  let http: LoadHttpClient;

  beforeAll(async () => {
    srv = await statusServer();
    http = new LoadHttpClient(`http://127.0.0.1:${(srv.address() as AddressInfo).port}`, 4, 2000);
  });

  afterAll(async () => {
    http.close();
    await new Promise((r) => srv.close(r));
  });

  it('records status, body and latency per kind, and counts only judged answers as errors', async () => {
    const ok = await http.post('reply', '/status/200', { a: 1 });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ echo: { a: 1 } });
    expect(http.judge('reply', '/status/200', ok, undefined)).toBe(true);

    const conflict = await http.post('drift', '/status/409', {});
    expect(http.judge('drift', '/status/409', conflict, undefined)).toBe(true);

    const unavailable = await http.get('gate', '/status/503');
    expect(http.judge('gate', '/status/503', unavailable, 'expected 200')).toBe(false);

    const gone = await http.get('gate', '/hang-up');
    expect(gone.status).toBe(0);
    http.judge('gate', '/hang-up', gone, 'expected 200');

    const stats = http.stats();
    expect(stats.reply).toMatchObject({ requests: 1, byStatus: { '200': 1 }, unexpected: 0 });
    expect(stats.gate).toMatchObject({ requests: 2, byStatus: { '503': 1, '0': 1 }, unexpected: 2 });
    expect(stats.gate!.latencyMs.count).toBe(2);
    expect(http.errorsByStatus).toEqual({ '503': 1, '0': 1 });
    expect(http.unexpected).toBe(2);
    expect(http.fiveXx).toBe(1);
    expect(http.errorSamples.map((e) => e.status)).toEqual([503, 0]);
  });

  it('counts a 5xx even when nobody judged it', async () => {
    const before = http.fiveXx;
    await http.get('intent', '/status/500');
    expect(http.fiveXx).toBe(before + 1);
  });
});
