import type { ConsumerNotification } from '@nats-io/jetstream';

/**
 * What an operator should hear about a pull consumer's notifications: undefined for the routine
 * ones (each pull, heartbeats, a pull expiring with 408), a warning for those that mean the
 * consumer is stalled or cannot get messages until something changes. The client library recovers
 * from most of them by itself (a missed-heartbeat reset re-pulls after two idle heartbeats), but a
 * consumer that stops getting messages for seconds should leave a line in the log that says why.
 */
export function consumerStatusWarning(n: ConsumerNotification): string | undefined {
  switch (n.type) {
    case 'heartbeats_missed':
      return `no heartbeat from the server for ${n.count} intervals; pulling again`;
    case 'consumer_not_found':
      return `consumer ${n.stream}/${n.name} not found (attempt ${n.count})`;
    case 'stream_not_found':
      return `stream ${n.name} not found`;
    case 'consumer_deleted':
      return `consumer deleted on the server (${n.code} ${n.description})`;
    case 'exceeded_limits':
      return `pull refused by the server (${n.code} ${n.description})`;
    case 'no_responders':
      return `JetStream did not answer a pull (${n.code})`;
    case 'debug':
      // 408 is a pull that expired with nothing (more) to deliver: every PULL_EXPIRES_MS when idle.
      return n.code === 408 ? undefined : `server status ${n.code} ${n.description} ignored by the client`;
    default:
      return undefined;
  }
}
