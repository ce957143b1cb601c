import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** Used when WEBHOOK_SECRET_KEY is empty (a laptop): secrets are then only obscured, and start says so. */
export const DEVELOPMENT_KEY = 'gatehouse-development-webhook-key-do-not-use-in-production';

/**
 * Encrypts webhook signing secrets at rest. They must be recoverable to sign, so a hash will not
 * do: AES-256-GCM under a key from the environment. Each ciphertext names its key (a short digest)
 * so a changed WEBHOOK_SECRET_KEY is reported as such instead of as a failed authentication tag.
 */
export class SecretBox {
  private readonly key: Buffer;
  readonly keyId: string;

  constructor(passphrase: string) {
    this.key = createHash('sha256').update(passphrase, 'utf8').digest();
    this.keyId = createHash('sha256').update('gatehouse-key-id:').update(this.key).digest('hex').slice(0, 8);
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [
      'v1',
      this.keyId,
      iv.toString('base64'),
      cipher.getAuthTag().toString('base64'),
      data.toString('base64'),
    ].join(':');
  }

  open(sealed: string): string {
    const [version, keyId, iv, tag, data] = sealed.split(':');
    if (version !== 'v1' || !iv || !tag || data === undefined) throw new Error('not a sealed webhook secret');
    if (keyId !== this.keyId) {
      throw new Error(`webhook secret sealed under key ${keyId}, but WEBHOOK_SECRET_KEY is key ${this.keyId}`);
    }
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
  }
}
