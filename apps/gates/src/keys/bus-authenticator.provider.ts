import type { Provider } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DataSource } from 'typeorm';
import { Authenticator, authEnvFrom, authMode, JwtVerifier, jwtSettings } from '@gatehouse/identity';
import type { GatesEnv } from '../config/gates.env';
import { ApiKeysRepository } from './api-keys.repository';

/**
 * The authenticator of replies on the bus: the same rules as the gateway's, with keys read straight
 * from the table this service owns (no cache: a revoked key stops working at once).
 */
export const BusAuthenticatorProvider: Provider = {
  provide: Authenticator,
  inject: [ConfigService, DataSource, ApiKeysRepository],
  useFactory: (config: ConfigService<GatesEnv, true>, ds: DataSource, keys: ApiKeysRepository) => {
    const env = authEnvFrom((key) => config.get(key as keyof GatesEnv, { infer: true }));
    return new Authenticator(
      authMode(env),
      (hash) => keys.findActive(ds.manager, hash),
      JwtVerifier.create(jwtSettings(env)),
    );
  },
};
