import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DataSource } from 'typeorm';
import { randomUUID } from 'node:crypto';
import { Role } from '@gatehouse/contracts';
import { hashApiKey, visiblePrefix } from '@gatehouse/identity';
import { inTransaction } from '@gatehouse/persistence';
import type { GatesEnv } from '../config/gates.env';
import { ApiKeysRepository } from './api-keys.repository';

/** Name of the first admin key made from AUTH_BOOTSTRAP_ADMIN_KEY. */
export const BOOTSTRAP_KEY_NAME = 'bootstrap';

/**
 * AUTH_BOOTSTRAP_ADMIN_KEY becomes the first admin key (stored hashed) when no admin key was ever
 * created, so a fresh deployment can be administered without a built-in default key.
 */
@Injectable()
export class BootstrapAdminKey implements OnApplicationBootstrap {
  private readonly logger = new Logger(BootstrapAdminKey.name);

  constructor(
    private readonly ds: DataSource,
    private readonly keys: ApiKeysRepository,
    private readonly config: ConfigService<GatesEnv, true>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const key = this.config.get('AUTH_BOOTSTRAP_ADMIN_KEY', { infer: true });
    if (!key) return;
    const inserted = await inTransaction(this.ds, (tx) =>
      this.keys.insertBootstrap(tx, {
        id: randomUUID(),
        name: BOOTSTRAP_KEY_NAME,
        roles: [Role.ADMIN],
        hash: hashApiKey(key),
        prefix: visiblePrefix(key),
        createdBy: 'AUTH_BOOTSTRAP_ADMIN_KEY',
      }),
    );
    if (inserted) this.logger.log({ prefix: visiblePrefix(key), msg: 'bootstrap admin key created' });
  }
}
