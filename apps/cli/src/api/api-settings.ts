import { configError } from '../cli-error';

export const DEFAULT_GATEHOUSE_URL = 'http://127.0.0.1:3001';

/** The options every API command takes; flags win over the environment. */
export interface ApiFlags {
  url?: string;
  token?: string;
  as?: string;
}

export interface ApiSettings {
  /** The gateway's base URL, without a trailing slash. */
  baseUrl: string;
  token?: string;
  /** An unverified actor name (X-Gatehouse-Actor), honoured only under AUTH_MODE=off. */
  actor?: string;
}

/** GATEHOUSE_URL, GATEHOUSE_TOKEN and GATEHOUSE_ACTOR from the environment, overridden by flags. */
export function resolveApiSettings(flags: ApiFlags, env: NodeJS.ProcessEnv): ApiSettings {
  const source = flags.url ? '--url' : 'GATEHOUSE_URL';
  const raw = flags.url ?? (env.GATEHOUSE_URL || DEFAULT_GATEHOUSE_URL);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw configError(`${source} is not a URL: ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw configError(`${source} must be an http:// or https:// URL, got ${url.protocol}`);
  }
  if (url.username || url.password) {
    throw configError(`${source} must not carry credentials: set GATEHOUSE_TOKEN instead`);
  }
  const token = flags.token ?? (env.GATEHOUSE_TOKEN || undefined);
  if (token !== undefined && !/^[\x21-\x7e]+$/.test(token)) {
    throw configError('GATEHOUSE_TOKEN (or --token) must be printable characters without spaces');
  }
  const actor = flags.as ?? (env.GATEHOUSE_ACTOR || undefined);
  return { baseUrl: url.toString().replace(/\/+$/, ''), token, actor };
}
