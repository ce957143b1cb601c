import { connect, type NatsConnection } from '@nats-io/transport-node';

export function natsServers(url: string): string[] {
  return url
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Connects with reconnects forever: a NATS restart must never take a service down. */
export async function connectNats(url: string, name: string): Promise<NatsConnection> {
  return connect({
    servers: natsServers(url),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: true,
    // Otherwise every request (each JetStream publish, each double ack) builds two Error objects with
    // stack traces up front, in case it fails: 5 % of a busy service's CPU in profiles. Failures still
    // reject with the library's error; they only lack the caller's async stack.
    noAsyncTraces: true,
  });
}
