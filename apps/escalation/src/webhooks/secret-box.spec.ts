import { SecretBox } from './secret-box';
import { generateWebhookSecret, signedHeaders } from './webhook-signature';
import { Webhook } from 'standardwebhooks';

describe('SecretBox', () => {
  const box = new SecretBox('a-key-of-at-least-thirty-two-characters!');

  it('seals so that only the same key opens, and never shows the secret', () => {
    const secret = generateWebhookSecret();
    const sealed = box.seal(secret);
    expect(sealed).not.toContain(secret.slice(6));
    expect(box.seal(secret)).not.toBe(sealed);
    expect(box.open(sealed)).toBe(secret);
    expect(() => new SecretBox('another-key-of-at-least-thirty-two-chars').open(sealed)).toThrow(/WEBHOOK_SECRET_KEY/);
  });

  it('refuses a ciphertext that was tampered with', () => {
    const parts = box.seal('whsec_x').split(':');
    parts[4] = Buffer.from('whsec_y').toString('base64');
    expect(() => box.open(parts.join(':'))).toThrow();
  });
});

describe('signedHeaders', () => {
  it('signs with every secret given; a receiver holding any one of them verifies', () => {
    const [a, b] = [generateWebhookSecret(), generateWebhookSecret()];
    const body = '{"type":"gate.opened"}';
    const headers = signedHeaders([a, b], 'gate-opened:x:y', new Date(), body);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(a).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(b).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(generateWebhookSecret()).verify(body, headers)).toThrow();
    expect(() => new Webhook(a).verify(`${body} `, headers)).toThrow();
  });
});
