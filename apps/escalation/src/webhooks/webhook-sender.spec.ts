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

  it('does not follow redirects', async () => {
    receiver.answer('/moved', () => ({ status: 302, headers: { location: 'http://169.254.169.254/' } }));
    expect((await send('/moved', true)).status).toBe(302);
  });
});
