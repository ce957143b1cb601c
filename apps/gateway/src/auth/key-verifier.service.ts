import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ErrorCode, type VerifiedApiKey } from '@gatehouse/contracts';
import type { GatewayEnv } from '../config/gateway.env';
import { GatesClient } from '../rpc/gates.client';
import { hasCode } from '../rpc/rpc-error.mapping';

interface Entry {
  key: VerifiedApiKey | undefined;
  until: number;
}

/** Above this many cached digests the cache is emptied: a flood of random keys cannot grow it. */
const MAX_ENTRIES = 50_000;

/**
 * Verifies API keys with the gates service, which owns them, remembering each answer (a key, or
 * "no such active key") for AUTH_KEY_CACHE_MS at most, so a revoked key stops working on every
 * gateway replica within seconds. Failures to ask (503) are not remembered.
 */
@Injectable()
export class KeyVerifier {
  private readonly cache = new Map<string, Entry>();
  private readonly ttlMs: number;

  constructor(
    private readonly gates: GatesClient,
    config: ConfigService<GatewayEnv, true>,
  ) {
    this.ttlMs = config.get('AUTH_KEY_CACHE_MS', { infer: true });
  }

  readonly lookup = async (hash: string): Promise<VerifiedApiKey | undefined> => {
    const now = Date.now();
    const hit = this.cache.get(hash);
    if (hit && hit.until > now) return hit.key;
    let key: VerifiedApiKey | undefined;
    try {
      key = await this.gates.verifyKey({ hash });
    } catch (err) {
      if (!hasCode(err, ErrorCode.UNAUTHENTICATED)) throw err;
      key = undefined;
    }
    if (this.ttlMs > 0) {
      if (this.cache.size >= MAX_ENTRIES) this.cache.clear();
      this.cache.set(hash, { key, until: now + this.ttlMs });
    }
    return key;
  };

  /** After a revocation through this replica: no need to wait for the entries to expire here. */
  forgetAll(): void {
    this.cache.clear();
  }
}
