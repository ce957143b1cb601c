import { connect, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';

/** The NATS settings of CommonEnv (libs/contracts config/env.ts). */
export interface NatsSettings {
  NATS_URL: string;
  /** Empty or absent: no credentials. */
  NATS_USER?: string;
  NATS_PASSWORD?: string;
}

export function natsServers(url: string): string[] {
  return url
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * The reply inbox prefix of a service's connections. The NATS permissions (deploy/nats/auth.conf) let
 * each service user subscribe only to its own `_INBOX.<svc>.>`, so one service cannot read the replies
 * (request/reply answers, JetStream acks) meant for another.
 */
export function inboxPrefixOf(service: string): string {
  return `_INBOX.${service}`;
}

/**
 * What every NATS connection of a process shares: the servers, the service's inbox prefix, and its
 * NATS user and password when set (without them it connects anonymously: the laptop lane).
 */
export function natsConnectionOptions(settings: NatsSettings, service: string, name: string): ConnectionOptions {
  return {
    servers: natsServers(settings.NATS_URL),
    name,
    inboxPrefix: inboxPrefixOf(service),
    ...(settings.NATS_USER ? { user: settings.NATS_USER, pass: settings.NATS_PASSWORD } : {}),
  };
}

/**
 * NATS refused this process's identity (no, wrong or unknown credentials) or what it tried to do with
 * it: a configuration error, which stops the process (exit 78) instead of being retried.
 */
export class NatsAccessError extends Error {}

/** `connect`, with a refusal of the credentials turned into a NatsAccessError that says what to check. */
export async function connectAs(options: ConnectionOptions): Promise<NatsConnection> {
  try {
    return await connect(options);
  } catch (err) {
    if ((err as Error)?.name !== 'AuthorizationError') throw err;
    throw new NatsAccessError(
      options.user
        ? `NATS refused the user "${options.user}": check NATS_USER and NATS_PASSWORD`
        : 'NATS requires credentials: set NATS_USER and NATS_PASSWORD (docs/nats-security.md)',
      { cause: err },
    );
  }
}

/** Connects with reconnects forever: a NATS restart must never take a service down. */
export async function connectNats(settings: NatsSettings, service: string, name: string): Promise<NatsConnection> {
  return connectAs({
    ...natsConnectionOptions(settings, service, name),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: true,
    // Otherwise every request (each JetStream publish, each double ack) builds two Error objects with
    // stack traces up front, in case it fails: 5 % of a busy service's CPU in profiles. Failures still
    // reject with the library's error; they only lack the caller's async stack.
    noAsyncTraces: true,
  });
}
