import { Global, Logger, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import {
  AUTH_OFF_WARNING,
  Authenticator,
  authEnvFrom,
  authMode,
  JwtVerifier,
  jwtSettings,
  SignedSources,
} from '@gatehouse/identity';
import type { GatewayEnv } from '../config/gateway.env';
import { AuthFailureLimiter } from './auth-failure-limiter';
import { RequestAuthentication } from './authentication.middleware';
import { KeyVerifier } from './key-verifier.service';
import { RoleGuard } from './require-role';
import { WhoAmIController } from './whoami.controller';

/** Who is asking: the authenticator (keys through the gates service, JWTs with jose) and its limiter. */
@Global()
@Module({
  controllers: [WhoAmIController],
  providers: [
    KeyVerifier,
    RoleGuard,
    {
      provide: Authenticator,
      inject: [ConfigService, KeyVerifier],
      useFactory: (config: ConfigService<GatewayEnv, true>, keys: KeyVerifier) => {
        const env = authEnvFrom((key) => config.get(key as keyof GatewayEnv, { infer: true }));
        return new Authenticator(authMode(env), keys.lookup, JwtVerifier.create(jwtSettings(env)));
      },
    },
    {
      provide: AuthFailureLimiter,
      inject: [ConfigService],
      useFactory: (config: ConfigService<GatewayEnv, true>) =>
        new AuthFailureLimiter(
          config.get('AUTH_FAILURE_LIMIT', { infer: true }),
          config.get('AUTH_FAILURE_WINDOW_S', { infer: true }) * 1000,
        ),
    },
    {
      provide: RequestAuthentication,
      inject: [Authenticator, AuthFailureLimiter, ConfigService],
      useFactory: (auth: Authenticator, limiter: AuthFailureLimiter, config: ConfigService<GatewayEnv, true>) =>
        new RequestAuthentication(
          auth,
          limiter,
          SignedSources.load(config.get('INGRESS_SOURCES_FILE', { infer: true })),
        ),
    },
  ],
  exports: [Authenticator, AuthFailureLimiter, KeyVerifier, RoleGuard, RequestAuthentication],
})
export class AuthModule implements OnApplicationBootstrap {
  constructor(private readonly auth: Authenticator) {}

  onApplicationBootstrap(): void {
    if (this.auth.mode === 'off') new Logger('Security').warn(AUTH_OFF_WARNING);
  }
}
