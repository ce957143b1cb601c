import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import { validateEnv, type CommonEnv } from '@gatehouse/contracts';
import { dataSourceOptions } from '@gatehouse/persistence';
import { ServiceHealthModule } from '../health/service-health.module';
import { CREDENTIAL_HEADERS } from '../inbox/credential-headers';
import { MetricsModule } from '../metrics/metrics.module';
import { MessagingModule } from './messaging.module';
import { NatsModule } from './nats.module';
import { isProbeRequest } from './probe-paths';

export interface ServiceCoreOptions {
  service: string;
  /** Postgres schema this service owns; omit for a service without tables (the gateway). */
  schema?: string;
  env: Type<CommonEnv>;
  entities?: Type<unknown>[];
  /**
   * Serve /health/live, /health/ready and /metrics on the admin port (ADMIN_PORT, else METRICS_PORT)
   * (default true when `schema` is set); the gateway serves them on its own HTTP port.
   */
  metricsServer?: boolean;
}

/** What every Gatehouse process shares: validated config, JSON logs, NATS, and its schema. */
@Module({})
export class ServiceCoreModule {
  static forService(options: ServiceCoreOptions): DynamicModule {
    const imports: DynamicModule['imports'] = [
      ConfigModule.forRoot({
        isGlobal: true,
        ignoreEnvFile: true,
        validate: (raw) => validateEnv(options.env, raw),
      }),
      LoggerModule.forRootAsync({
        inject: [ConfigService],
        useFactory: (config: ConfigService<CommonEnv, true>) => ({
          pinoHttp: {
            level: config.get('LOG_LEVEL', { infer: true }),
            base: { service: options.service, pid: process.pid },
            // Credentials never reach a log: bearer keys and tokens, cookies, webhook signatures.
            redact: [...CREDENTIAL_HEADERS.map((h) => `req.headers["${h}"]`), 'res.headers["set-cookie"]'],
            autoLogging: { ignore: (req) => isProbeRequest(req.url) },
          },
        }),
      }),
      NatsModule,
      MetricsModule.forService(options.service),
    ];
    if (options.schema) {
      imports.push(
        TypeOrmModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (config: ConfigService<CommonEnv, true>) =>
            dataSourceOptions({
              url: config.get('DATABASE_URL', { infer: true }),
              poolMax: config.get('DB_POOL_MAX', { infer: true }),
              entities: options.entities ?? [],
              applicationName: `gatehouse-${options.service}`,
            }),
        }),
        MessagingModule.forService({ schema: options.schema, service: options.service }),
        ServiceHealthModule.forService(options.metricsServer ?? true),
      );
    }
    // Every module imported here is global (config, logger, NATS, TypeORM root, messaging), so
    // nothing needs re-exporting; ConfigModule.forRoot is a Promise, which Nest cannot export anyway.
    return { module: ServiceCoreModule, imports };
  }
}
