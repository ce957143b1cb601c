import type { Stack, StackService } from '../../../tools/test-support/stack';
import { sleep } from './prng';

export interface InFlight {
  pendingGates: number;
  executingRuns: number;
  unpublishedOutbox: number;
}

export interface FaultRecord {
  fault: string;
  atMs: number;
  downMs: number;
  /** Time from restart to ready. */
  recoverMs: number;
  inFlight?: InFlight;
}

/** What was going on at the moment of a fault, so the report can say the fault hit live work. */
export async function inFlight(stack: Stack): Promise<InFlight | undefined> {
  try {
    const [row] = await stack.db.query<InFlight>(
      `SELECT (SELECT count(*)::int FROM gates.gates WHERE state = 'PENDING') AS "pendingGates",
              (SELECT count(*)::int FROM runs.run_steps WHERE step_id = 'ExecuteST' AND status = 'RUNNING') AS "executingRuns",
              (SELECT count(*)::int FROM runs.outbox WHERE published_at IS NULL)
            + (SELECT count(*)::int FROM gates.outbox WHERE published_at IS NULL)
            + (SELECT count(*)::int FROM escalation.outbox WHERE published_at IS NULL) AS "unpublishedOutbox"`,
    );
    return row;
  } catch {
    return undefined; // Postgres itself may be the one down
  }
}

/** A log of injected faults with timings, printed in the test output and summed in docs. */
export class FaultLog {
  readonly records: FaultRecord[] = [];
  private readonly t0 = Date.now();

  /** `kill -9` one process, keep it down for `downMs`, start it again and wait until it is ready. */
  async killService(stack: Stack, service: StackService, index: number, downMs: number): Promise<FaultRecord> {
    const snapshot = await inFlight(stack);
    const atMs = Date.now() - this.t0;
    await stack.kill(service, index, 'SIGKILL');
    await sleep(downMs);
    const t = Date.now();
    await stack.restartAndWait(service, index, 60_000);
    return this.add({
      fault: `kill -9 ${service}#${index}`,
      atMs,
      downMs,
      recoverMs: Date.now() - t,
      inFlight: snapshot,
    });
  }

  async restartNats(stack: Stack, downMs: number): Promise<FaultRecord> {
    const snapshot = await inFlight(stack);
    const atMs = Date.now() - this.t0;
    const t = Date.now();
    await stack.restartNats('SIGKILL', downMs);
    return this.add({
      fault: 'kill -9 nats-server, restart (same store)',
      atMs,
      downMs,
      recoverMs: Date.now() - t - downMs,
      inFlight: snapshot,
    });
  }

  async restartPostgres(stack: Stack, downMs: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<FaultRecord> {
    const snapshot = await inFlight(stack);
    const atMs = Date.now() - this.t0;
    const t = Date.now();
    await stack.restartPostgres(signal, downMs);
    return this.add({
      fault: `${signal} postgres, restart (crash recovery)`,
      atMs,
      downMs,
      recoverMs: Date.now() - t - downMs,
      inFlight: snapshot,
    });
  }

  async natsNode(stack: Stack, index: number, downMs: number): Promise<FaultRecord> {
    if (!stack.natsCluster) throw new Error('natsNode needs a cluster stack');
    const snapshot = await inFlight(stack);
    const atMs = Date.now() - this.t0;
    await stack.natsCluster.stopNode(index, 'SIGKILL');
    await sleep(downMs);
    const t = Date.now();
    await stack.natsCluster.restartNode(index);
    return this.add({
      fault: `kill -9 nats node ${index}, restart`,
      atMs,
      downMs,
      recoverMs: Date.now() - t,
      inFlight: snapshot,
    });
  }

  add(record: FaultRecord): FaultRecord {
    this.records.push(record);
    return record;
  }

  summary(): string {
    return this.records
      .map(
        (r) =>
          `  t+${(r.atMs / 1000).toFixed(1)}s ${r.fault}: down ${r.downMs} ms, ready ${r.recoverMs} ms after restart; in flight ${JSON.stringify(r.inFlight ?? 'n/a')}`,
      )
      .join('\n');
  }
}
