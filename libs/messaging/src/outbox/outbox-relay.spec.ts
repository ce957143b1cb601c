import type { JetStreamClient } from '@nats-io/jetstream';
import type { DataSource } from 'typeorm';
import { OutboxRelay } from './outbox-relay';

/**
 * A DataSource whose relay batches wait for the test: each batch's claim (the text that begins its
 * transaction) answers only when the test passes it the number of rows claimed.
 */
function controlledDataSource() {
  const pending: Array<(claimed: number) => void> = [];
  const row = (i: number) => ({ id: String(i + 1), msg_id: `m-${i}`, subject: 's', payload: {}, headers: {} });
  const client = {
    query: (text: string) =>
      text.startsWith('BEGIN')
        ? new Promise((resolve) =>
            pending.push((n) =>
              resolve([{ rows: [] }, { rows: [] }, { rows: Array.from({ length: n }, (_, i) => row(i)) }]),
            ),
          )
        : Promise.resolve([]),
  };
  const ds = {
    createQueryRunner: () => ({ connect: async () => client, release: async () => undefined }),
  } as unknown as DataSource;
  return { ds, pending };
}

const log = { warn: () => undefined, error: () => undefined };
const js = { publish: async () => ({ duplicate: false }) } as unknown as JetStreamClient;

async function ticks(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

describe('OutboxRelay.kick', () => {
  it('coalesces kicks made while a batch runs into one more batch', async () => {
    const { ds, pending } = controlledDataSource();
    const relay = new OutboxRelay(ds, 'runs', js, log, { sweepIntervalMs: 3_600_000 });
    relay.start();
    await ticks(5);
    expect(pending).toHaveLength(1);
    relay.kick();
    relay.kick();
    relay.kick();
    expect(pending).toHaveLength(1);
    pending[0](0);
    await ticks(10);
    expect(pending).toHaveLength(2);
    pending[1](0);
    await ticks(10);
    expect(pending).toHaveLength(2);
    await relay.stop();
  });

  it('keeps draining while full batches come back', async () => {
    const { ds, pending } = controlledDataSource();
    const relay = new OutboxRelay(ds, 'runs', js, log, { sweepIntervalMs: 3_600_000, batchSize: 5 });
    relay.start();
    await ticks(5);
    pending[0](5);
    await ticks(10);
    expect(pending).toHaveLength(2);
    pending[1](2);
    await ticks(10);
    expect(pending).toHaveLength(2);
    await relay.stop();
  });

  // A kick must never be lost, whatever microtask it lands in while a drain is finishing:
  // otherwise a committed row waits for the slow sweep instead of being published at once.
  it.each(Array.from({ length: 12 }, (_, k) => k))(
    'does not lose a kick made %i microtasks after the last batch ends',
    async (k) => {
      const { ds, pending } = controlledDataSource();
      const relay = new OutboxRelay(ds, 'runs', js, log, { sweepIntervalMs: 3_600_000 });
      relay.start();
      await ticks(5);
      pending[0](0);
      await ticks(k);
      relay.kick();
      await ticks(20);
      expect(pending).toHaveLength(2);
      pending[1](0);
      await relay.stop();
    },
  );

  it('does nothing once stopped, and stop waits for the running batch', async () => {
    const { ds, pending } = controlledDataSource();
    const relay = new OutboxRelay(ds, 'runs', js, log, { sweepIntervalMs: 3_600_000 });
    relay.start();
    let stopped = false;
    const stopping = relay.stop().then(() => (stopped = true));
    await ticks(10);
    expect(stopped).toBe(false);
    pending[0](0);
    await stopping;
    relay.kick();
    expect(pending).toHaveLength(1);
  });
});
