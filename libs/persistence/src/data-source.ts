// The migrations folder is the workspace's single ordered sequence (DESIGN section 1).
import { MIGRATIONS } from '../../../migrations';
import { DataSource, type DataSourceOptions, type EntitySchema, type MixedList } from 'typeorm';

export interface DataSourceSettings {
  url: string;
  poolMax?: number;
  entities?: MixedList<string | (new () => unknown) | EntitySchema>;
  /** Application name shown in pg_stat_activity, so operators see who holds connections. */
  applicationName?: string;
}

export function dataSourceOptions(settings: DataSourceSettings): DataSourceOptions {
  return {
    type: 'postgres',
    url: settings.url,
    entities: settings.entities ?? [],
    migrations: MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: ['error'],
    applicationName: settings.applicationName ?? 'gatehouse',
    extra: {
      max: settings.poolMax ?? 10,
      // Fail fast instead of queueing forever when the pool is exhausted; callers map it to 503.
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30000,
    },
  };
}

export function createDataSource(settings: DataSourceSettings): DataSource {
  return new DataSource(dataSourceOptions(settings));
}
