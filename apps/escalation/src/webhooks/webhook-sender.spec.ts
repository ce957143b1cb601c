import { WebhookReceiver } from '../../../../tools/test-support/webhook-receiver';
import { RESPONSE_PREFIX_BYTES, sendWebhook } from './webhook-sender';

/** The sender against a receiver on loopback: what it keeps, and what it refuses at delivery time. */
describe('sendWebhook', () => {
  const receiver = new WebhookReceiver();
  beforeAll(() => receiver.start());
  afterAll(() => receiver.stop());

  const send = (path: string, allowPrivate: boolean, url = receiver.url(path)) =>
    sendWebhook({ url, headers: { 'webhook-id': 'x' }, body: '{"a":1}', timeoutMs: 1000, allowPrivate });

  it('refuses loopback at delivery time, before connecting, unless private addresses are allowed', async () => {
    const literal = await send('/refused', false);
    expect(literal.status).toBeNull();
    expect(literal.error).toMatch(/private or loopback|https/);
    const byName = await send('/refused', false, `https://localhost:${receiver.listeningPort}/refused`);
    expect(byName.status).toBeNull();
    expect(byName.error).toMatch(/private or loopback/);
    expect(receiver.on('/refused')).toHaveLength(0);
    expect((await send('/allowed', true)).status).toBe(200);
  });

  it('reuses connections to an endpoint: N deliveries over fewer than N TCP connections', async () => {
    const own = await new WebhookReceiver().start();
    try {
      const post = (i: number) =>
        sendWebhook({
          url: own.url(`/ep/${i % 3}`),
          headers: { 'webhook-id': `k${i}` },
          body: '{"a":1}',
          timeoutMs: 2000,
          allowPrivate: true,
        });
      for (let i = 0; i < 20; i++) expect((await post(i)).status).toBe(200);
      expect(own.received).toHaveLength(20);
      // One after the other: one connection, every path of the origin on it.
      expect(own.connections).toBe(1);
      // Thirty at once need thirty connections; the next thirty find them in the pool.
      const burst = async () => (await Promise.all(Array.from({ length: 30 }, (_, i) => post(i)))).map((r) => r.status);
      expect(await burst()).toEqual(Array(30).fill(200));
      const afterFirst = own.connections;
      expect(afterFirst).toBeLessThanOrEqual(30);
      expect(await burst()).toEqual(Array(30).fill(200));
      expect(own.received).toHaveLength(80);
      expect(own.connections).toBe(afterFirst);
    } finally {
      await own.stop();
    }
  });

  it('never lends a connection opened without the address check to a delivery that needs it', async () => {
    const own = await new WebhookReceiver().start();
    try {
      const post = (url: string, allowPrivate: boolean) =>
        sendWebhook({ url, headers: { 'webhook-id': 'p' }, body: '{}', timeoutMs: 2000, allowPrivate });
      // A connection to the receiver now waits in the pool of deliveries allowed to go private...
      expect((await post(own.url('/open'), true)).status).toBe(200);
      expect(own.connections).toBe(1);
      // ...and a delivery that is not allowed there is still refused, without a new connection or a request.
      const refused = await post(`https://localhost:${own.listeningPort}/guarded`, false);
      expect(refused.status).toBeNull();
      expect(refused.error).toMatch(/resolves to a private or loopback address/);
      expect((await post(own.url('/guarded'), false)).error).toMatch(/private or loopback|https/);
      expect(own.on('/guarded')).toHaveLength(0);
      expect(own.connections).toBe(1);
    } finally {
      await own.stop();
    }
  });

  it('sends again once when the receiver closed the pooled connection as it was reused', async () => {
    const own = await new WebhookReceiver().start();
    try {
      const post = () =>
        sendWebhook({
          url: own.url('/stale'),
          headers: { 'webhook-id': 's' },
          body: '{}',
          timeoutMs: 2000,
          allowPrivate: true,
        });
      own.answer('/stale', (n) => (n === 2 ? { status: 200, dropConnection: true } : { status: 200 }));
      expect((await post()).status).toBe(200);
      // The second delivery goes out on the pooled connection, which the receiver closes unanswered.
      const again = await post();
      expect(again).toMatchObject({ status: 200, error: null });
      expect(own.on('/stale')).toHaveLength(3);
      expect(own.connections).toBe(2);
      // Only once: a receiver that drops the fresh connection too gets a failed attempt (retried later).
      own.answer('/stale', () => ({ status: 200, dropConnection: true }));
      const failed = await post();
      expect(failed.status).toBeNull();
      expect(failed.error).toMatch(/ECONNRESET|socket hang up/);
      expect(own.on('/stale')).toHaveLength(5);
    } finally {
      await own.stop();
    }
  });

  it('keeps only a short prefix of the answer, and its Retry-After', async () => {
    receiver.answer('/big', () => ({ status: 503, body: 'y'.repeat(100_000), headers: { 'Retry-After': '7' } }));
    const result = await send('/big', true);
    expect(result.status).toBe(503);
    expect(result.retryAfter).toBe('7');
    expect(result.responsePrefix!.length).toBeLessThanOrEqual(RESPONSE_PREFIX_BYTES);
  });

  it('gives up on a receiver that does not answer in time', async () => {
    receiver.answer('/slow', () => ({ status: 200, delayMs: 1300 }));
    const result = await send('/slow', true);
    expect(result.status).toBeNull();
    expect(result.error).toBe('timed out after 1000 ms');
    expect(result.latencyMs).toBeLessThan(2000);
  });

  it('waits for a receiver quieter than the pool’s idle timeout, within timeoutMs', async () => {
    receiver.answer('/quiet', () => ({ status: 200, delayMs: 4300 }));
    const result = await sendWebhook({
      url: receiver.url('/quiet'),
      headers: { 'webhook-id': 'q' },
      body: '{}',
      timeoutMs: 6000,
      allowPrivate: true,
    });
    expect(result).toMatchObject({ status: 200, error: null });
  }, 10_000);

  it('does not follow redirects', async () => {
    receiver.answer('/moved', () => ({ status: 302, headers: { location: 'http://169.254.169.254/' } }));
    expect((await send('/moved', true)).status).toBe(302);
  });
});
