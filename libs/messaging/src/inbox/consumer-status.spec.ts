import type { ConsumerNotification } from '@nats-io/jetstream';
import { consumerStatusWarning } from './consumer-status';

describe('consumerStatusWarning', () => {
  it.each<[ConsumerNotification, string]>([
    [{ type: 'heartbeats_missed', count: 2 }, 'no heartbeat from the server for 2 intervals; pulling again'],
    [
      { type: 'consumer_not_found', stream: 'GATEHOUSE_EVENTS', name: 'escalation-gate-events', count: 3 },
      'consumer GATEHOUSE_EVENTS/escalation-gate-events not found (attempt 3)',
    ],
    [{ type: 'stream_not_found', name: 'GATEHOUSE_EVENTS' }, 'stream GATEHOUSE_EVENTS not found'],
    [
      { type: 'consumer_deleted', code: 409, description: 'Consumer Deleted' },
      'consumer deleted on the server (409 Consumer Deleted)',
    ],
    [
      { type: 'exceeded_limits', code: 409, description: 'Exceeded MaxWaiting' },
      'pull refused by the server (409 Exceeded MaxWaiting)',
    ],
    [{ type: 'no_responders', code: 503 }, 'JetStream did not answer a pull (503)'],
    [
      { type: 'debug', code: 409, description: 'Leadership Change' },
      'server status 409 Leadership Change ignored by the client',
    ],
  ])('warns about %j', (n, expected) => {
    expect(consumerStatusWarning(n)).toBe(expected);
  });

  it.each<ConsumerNotification>([
    { type: 'debug', code: 408, description: 'Request Timeout' },
    { type: 'heartbeat', lastConsumerSequence: 5, lastStreamSequence: 9 },
    { type: 'discard', messagesLeft: 888, bytesLeft: 0 },
    { type: 'next', options: { batch: 1024, expires: 5_000_000_000 } },
  ] as ConsumerNotification[])('stays quiet about the routine %j', (n) => {
    expect(consumerStatusWarning(n)).toBeUndefined();
  });
});
