import type { JetStreamClient } from '@nats-io/jetstream';
import type { DataSource } from 'typeorm';
import { OutboxRelay } from './outbox-relay';

/** A DataSource whose transactions (one relay batch each) finish when the test says so. */
function controlledDataSource() {
  const pending: Array<(published: number) => void> = [];
  const ds = {
    transaction: () => new Promise<number>((resolve) => pending.push(resolve)),
  } as unknown as DataSource;
  return { ds, pending };
}

const log = { warn: () => undefined, error: () => undefined };
const js = {} as JetStreamClient;

async function ticks(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

describe('OutboxRelay.kick', () => {
  it('coalesces kicks made while a batch runs into one more batch', async () => {
    const { ds, pending } = controlledDataSource();
    const relay = new OutboxRelay(ds, 'runs', js, log, { sweepIntervalMs: 3_600_000 });
    relay.start();
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
