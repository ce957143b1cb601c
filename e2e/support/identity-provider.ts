import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';

export interface MintOptions {
  sub?: string;
  roles?: string[];
  issuer?: string;
  audience?: string;
  /** Seconds since the epoch, or a jose time span such as '5m'. */
  expiresAt?: number | string;
  /** Sign with a key the provider does not publish. */
  foreignKey?: boolean;
}

/**
 * A stand-in for the organisation's identity provider (outside the machine in production): an ES256
 * key pair whose public half is served as a JWKS on loopback, and a minting function.
 */
export class TestIdentityProvider {
  static readonly ISSUER = 'https://idp.gatehouse.test';
  static readonly AUDIENCE = 'gatehouse-api';

  private constructor(
    private readonly server: Server,
    private readonly signing: CryptoKey,
    private readonly foreign: CryptoKey,
  ) {}

  static async start(): Promise<TestIdentityProvider> {
    const [own, other] = await Promise.all([
      generateKeyPair('ES256', { extractable: true }),
      generateKeyPair('ES256', { extractable: true }),
    ]);
    const jwk = { ...(await exportJWK(own.publicKey)), kid: 'test-1', alg: 'ES256', use: 'sig' };
    const server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new TestIdentityProvider(server, own.privateKey, other.privateKey);
  }

  get jwksUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/.well-known/jwks.json`;
  }

  /** The settings a gateway needs to accept this provider's tokens. */
  env(): Record<string, string> {
    return {
      AUTH_JWKS_URL: this.jwksUrl,
      AUTH_JWT_ISSUER: TestIdentityProvider.ISSUER,
      AUTH_JWT_AUDIENCE: TestIdentityProvider.AUDIENCE,
    };
  }

  mint(options: MintOptions = {}): Promise<string> {
    return new SignJWT({ roles: options.roles ?? [] })
      .setProtectedHeader({ alg: 'ES256', kid: 'test-1' })
      .setSubject(options.sub ?? 'alice')
      .setIssuer(options.issuer ?? TestIdentityProvider.ISSUER)
      .setAudience(options.audience ?? TestIdentityProvider.AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(options.expiresAt ?? '10m')
      .sign(options.foreignKey ? this.foreign : this.signing);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
