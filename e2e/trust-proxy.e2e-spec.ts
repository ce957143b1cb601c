import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../tools/test-support/free-port';
import { startNatsServer, type NatsServerHandle } from '../tools/test-support/nats-server';
import { ROOT } from '../tools/test-support/paths';

const GATEWAY_MAIN = join(ROOT, 'dist', 'apps', 'gateway', 'src', 'main.js');
const LIMIT = 3;

/**
 * TRUST_PROXY decides whose address the per-address failure limit counts: the socket's, unless the
 * request came through a trusted proxy. The real gateway process over real HTTP from loopback; the
 * refused credential is a malformed key, refused by the gateway itself, so no backend is needed.
 */
describe('gateway behind a proxy: TRUST_PROXY and the failure limiter', () => {
  let nats: NatsServerHandle;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    nats = await startNatsServer('trust-proxy');
  }, 30_000);

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)));
    await nats?.stop();
  });

  function gatewayProcess(env: Record<string, string>): { child: ChildProcess; stderr: () => string } {
    const child = spawn(process.execPath, [GATEWAY_MAIN], {
      env: {
        PATH: process.env.PATH,
        NATS_URL: nats.url,
        AUTH_MODE: 'required',
        AUTH_FAILURE_LIMIT: String(LIMIT),
        AUTH_FAILURE_WINDOW_S: '600',
        LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    return { child, stderr: () => stderr };
  }

  async function startGateway(env: Record<string, string>): Promise<string> {
    const port = await freePort();
    const { child, stderr } = gatewayProcess({ ...env, PORT: String(port) });
    const base = `http://127.0.0.1:${port}`;
    const until = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`gateway exited ${child.exitCode}: ${stderr()}`);
      const up = await fetch(`${base}/health/live`).then(
        (r) => r.ok,
        () => false,
      );
      if (up) return base;
      if (Date.now() > until) throw new Error(`gateway did not start: ${stderr()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** One refused authentication (a malformed key), as `forwardedFor` claims to be, if given. */
  async function failOnce(base: string, forwardedFor?: string): Promise<number> {
    const res = await fetch(`${base}/api/whoami`, {
      headers: {
        authorization: 'Bearer not-a-key',
        ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}),
      },
    });
    await res.arrayBuffer();
    return res.status;
  }

  it('without TRUST_PROXY, a forged X-Forwarded-For does not change whose failures are counted', async () => {
    const base = await startGateway({});
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT; i++) statuses.push(await failOnce(base, `203.0.113.${i + 1}`));
    expect(statuses).toEqual(Array(LIMIT).fill(401));
    // Each request claimed another client; all were the same socket address: it is now limited,
    // whatever it claims next.
    expect(await failOnce(base, '198.51.100.7')).toBe(429);
    expect(await failOnce(base)).toBe(429);
  }, 90_000);

  it('with TRUST_PROXY=127.0.0.1, clients named by the proxy are limited separately', async () => {
    const base = await startGateway({ TRUST_PROXY: '127.0.0.1' });
    const alice = '203.0.113.10';
    const bob = '203.0.113.20';
    for (let i = 0; i < LIMIT; i++) expect(await failOnce(base, alice)).toBe(401);
    expect(await failOnce(base, alice)).toBe(429);
    // Another client behind the same proxy is not locked out by the first.
    expect(await failOnce(base, bob)).toBe(401);
    // The client is the address the trusted proxy appended (the last one), not what the client sent first.
    expect(await failOnce(base, `${bob}, ${alice}`)).toBe(429);
    // The proxy's own requests (no header) are a third client.
    expect(await failOnce(base)).toBe(401);
  }, 90_000);

  it.each([['yes'], ['10.0.0.0/33'], ['0'], ['127.0.0.1,,10.0.0.1'], ['proxy.example.com']])(
    'refuses TRUST_PROXY=%s at start: exit 78, naming the variable',
    async (value) => {
      const { child, stderr } = gatewayProcess({ PORT: String(await freePort()), TRUST_PROXY: value });
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      expect(code).toBe(78);
      expect(stderr()).toContain('TRUST_PROXY');
    },
    60_000,
  );
});
