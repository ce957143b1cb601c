import { CommonEnv, validateEnv } from '@gatehouse/contracts';
import type { CliIo } from '../cli-io';

/** DATABASE_URL (or the command's --database-url), checked by the same rule the services use. */
export function databaseUrl(io: CliIo, flag?: string): string {
  const env = flag === undefined ? io.env : { ...io.env, DATABASE_URL: flag };
  return validateEnv(CommonEnv, env).DATABASE_URL;
}
