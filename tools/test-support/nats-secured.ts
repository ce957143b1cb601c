import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { freePort } from './free-port';
import { parseNatsConf, type NatsConfValue } from './nats-conf';
import { natsProcess, waitForNats, type NatsServerHandle } from './nats-server';
import { ROOT, scratchDir } from './paths';

/** The shipped permission matrix. */
export const NATS_AUTH_CONF = join(ROOT, 'deploy', 'nats', 'auth.conf');

export interface NatsCredentials {
  user: string;
  pass: string;
  /** `_INBOX.<user>`: the only inbox the matrix lets the user read. */
  inboxPrefix: string;
}

export interface DeclaredNatsUser {
  user: string;
  /** The server environment variable holding the user's password. */
  passwordVar: string;
  /** The user's `permissions` block as the server reads it. */
  permissions: NatsConfValue;
}

/** The users deploy/nats/auth.conf declares, each with the variable its password comes from. */
export function declaredNatsUsers(conf = readFileSync(NATS_AUTH_CONF, 'utf8')): DeclaredNatsUser[] {
  const authorization = parseNatsConf(conf).authorization as { users?: Array<Record<string, NatsConfValue>> };
  const users = (authorization?.users ?? []).map((u) => {
    const passwordVar = /^\$([A-Z0-9_]+)$/.exec(String(u.password))?.[1];
    if (typeof u.user !== 'string' || !passwordVar) {
      throw new Error(`${NATS_AUTH_CONF}: each user needs a name and a password from $VARIABLE`);
    }
    return { user: u.user, passwordVar, permissions: u.permissions };
  });
  if (users.length === 0) throw new Error(`no users found in ${NATS_AUTH_CONF}`);
  return users;
}

export interface SecuredNatsServer {
  server: NatsServerHandle;
  url: string;
  /** The credentials of a declared user (random passwords, fresh per server). */
  creds(user: string): NatsCredentials;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * A private nats-server on a free loopback port running the shipped users and permissions
 * (deploy/nats/auth.conf, included as is), every password a fresh random one passed through the
 * server's environment as in production. Only the listener and the JetStream store are the test's own.
 */
export interface SecuredNatsOptions {
  /**
   * Users whose server-side value is not the clear password (a bcrypt hash): what the server gets
   * in the user's variable, and the password clients connect with.
   */
  hashedPasswords?: Record<string, { serverValue: string; password: string }>;
}

export async function startSecuredNatsServer(
  name: string,
  options: SecuredNatsOptions = {},
): Promise<SecuredNatsServer> {
  const port = await freePort();
  const dir = scratchDir('nats', `${name}-secured-${port}`);
  rmSync(dir, { recursive: true, force: true });
  scratchDir('nats', `${name}-secured-${port}`);
  const storeDir = join(dir, 'store');
  const conf = join(dir, 'nats-server.conf');
  // nats-server resolves an include relative to the including file.
  writeFileSync(
    conf,
    [
      `listen: 127.0.0.1:${port}`,
      `jetstream { store_dir: ${JSON.stringify(storeDir)} }`,
      `include ${JSON.stringify(relative(dir, NATS_AUTH_CONF))}`,
      '',
    ].join('\n'),
  );
  const passwords = new Map<string, string>();
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
  for (const { user, passwordVar } of declaredNatsUsers()) {
    const hashed = options.hashedPasswords?.[user];
    const pass = hashed?.password ?? randomBytes(24).toString('base64url');
    passwords.set(user, pass);
    // nats-server parses a variable's value as configuration: quoted, it stays a string (as in compose).
    env[passwordVar] = JSON.stringify(hashed?.serverValue ?? pass);
  }
  const creds = (user: string): NatsCredentials => {
    const pass = passwords.get(user);
    if (!pass) throw new Error(`${user} is not a user of ${NATS_AUTH_CONF}`);
    return { user, pass, inboxPrefix: `_INBOX.${user}` };
  };
  const server = natsProcess({
    port,
    storeDir,
    logFile: join(dir, 'nats-server.log'),
    args: ['-c', conf],
    env,
    probeAuth: creds('listener'),
  });
  await waitForNats(server.url, 10_000, creds('listener'));
  return { server, url: server.url, creds, stop: (signal) => server.stop(signal) };
}
