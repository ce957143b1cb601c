import 'reflect-metadata';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { payloadHash } from '@gatehouse/contracts';
import { freePort } from '../../../../tools/test-support/free-port';
import { AdapterError } from './adapter.error';
import { LiveCompiler } from './live.compiler';
import { LiveSandbox } from './live.sandbox';

interface Received {
  method?: string;
  url?: string;
  contentType?: string;
  body: unknown;
}

/** A tiny local executor whose answer each test sets. */
describe('live adapters against a local HTTP endpoint', () => {
  let server: Server;
  let base: string;
  let received: Received[];
  let answer: (res: ServerResponse) => void;
  const timers: NodeJS.Timeout[] = [];

  beforeAll(async () => {
    const port = await freePort();
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let raw = '';
      req.on('data', (chunk) => (raw += chunk));
      req.on('end', () => {
        received.push({
          method: req.method,
          url: req.url,
          contentType: req.headers['content-type'],
          body: raw ? JSON.parse(raw) : undefined,
        });
        answer(res);
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    timers.forEach(clearTimeout);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    received = [];
  });

  const json = (status: number, body: unknown) => (res: ServerResponse) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };

  const intent = { id: '7b1f6b8e-2f55-4f8b-9a51-6a3c1f0e9d11', goal: 'g', inputs: { a: 1 }, constraints: {} };
  const task = { runId: intent.id, taskKey: 'task-0', idx: 0, sandboxMinutes: 2 };

  describe('LiveCompiler', () => {
    it('posts the intent and hashes the returned plan itself', async () => {
      const plan = { steps: [{ id: 'x' }], note: 'remote' };
      answer = json(200, { plan, planHash: 'not-trusted' });
      const out = await new LiveCompiler(`${base}/compile`, 2000).compile(intent);
      expect(out).toEqual({ plan, planHash: payloadHash(plan) });
      expect(received).toEqual([
        { method: 'POST', url: '/compile', contentType: 'application/json', body: { intent } },
      ]);
    });

    it.each([
      ['a 500', json(500, { oops: true }), /answered 500/],
      ['a non-JSON answer', json(200, 'plain text'), /not JSON/],
      ['an answer without a plan', json(200, { steps: [] }), /no "plan" object/],
      ['a plan that is not an object', json(200, { plan: [1, 2] }), /no "plan" object/],
    ])('fails with an AdapterError on %s', async (_name, reply, message) => {
      answer = reply;
      const call = new LiveCompiler(`${base}/compile`, 2000).compile(intent);
      await expect(call).rejects.toBeInstanceOf(AdapterError);
      await expect(new LiveCompiler(`${base}/compile`, 2000).compile(intent)).rejects.toThrow(message);
    });

    it('gives up after its timeout', async () => {
      answer = (res) => timers.push(setTimeout(() => json(200, { plan: {} })(res), 2000));
      const started = Date.now();
      await expect(new LiveCompiler(`${base}/compile`, 200).compile(intent)).rejects.toThrow(/no answer within 200 ms/);
      expect(Date.now() - started).toBeLessThan(1500);
    });

    it('reports a refused connection', async () => {
      const closedPort = await freePort();
      await expect(new LiveCompiler(`http://127.0.0.1:${closedPort}/`, 1000).compile(intent)).rejects.toBeInstanceOf(
        AdapterError,
      );
    });
  });

  describe('LiveSandbox', () => {
    it('posts the task and returns the answer as the result', async () => {
      answer = json(200, { exitCode: 0, logs: 'ok' });
      const out = await new LiveSandbox(`${base}/run`, 2000).run(task);
      expect(out).toEqual({ exitCode: 0, logs: 'ok' });
      expect(received).toEqual([{ method: 'POST', url: '/run', contentType: 'application/json', body: task }]);
    });

    it.each([
      ['a 503', json(503, 'busy'), /answered 503/],
      ['an array', json(200, [1]), /not a JSON object/],
      ['null', json(200, 'null'), /not a JSON object/],
    ])('fails with an AdapterError on %s', async (_name, reply, message) => {
      answer = reply;
      await expect(new LiveSandbox(`${base}/run`, 2000).run(task)).rejects.toThrow(message);
    });
  });
});
