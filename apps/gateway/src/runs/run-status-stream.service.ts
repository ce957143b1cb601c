import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { isTerminalRunStatus, subjects, type RunView } from '@gatehouse/contracts';
import { NATS_CONNECTION } from '@gatehouse/messaging';
import { currentCorrelationId } from '../http/correlation';
import { requireRunId } from '../params/run-id';
import { RunsClient } from '../rpc/runs.client';

/** Where snapshot lines go (the HTTP response). */
export interface StatusSink {
  write(line: string): void;
  end(): void;
}

/** After a failed re-read (runs not answering), how long an open stream waits to read again. */
export const STATUS_RETRY_MS = 1_000;

/**
 * GET /api/runs/:wid/stream/status: one NDJSON line per change of the run's snapshot. A UX channel,
 * never the truth: each `run-updated` event only triggers a re-read of the run, so lost, repeated or
 * reordered events cannot produce a wrong line, only fewer lines. Events are core NATS, so those
 * published while the gateway was disconnected are lost: every open stream reads again when the
 * connection comes back, and a failed read is tried again, so a missed change (even the terminal
 * one, which ends the stream) still shows.
 */
@Injectable()
export class RunStatusStreamService implements OnApplicationBootstrap {
  private readonly logger = new Logger('RunStatusStream');
  /** The re-read of every open stream, for a reconnect to call. */
  private readonly streams = new Set<() => void>();

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly runs: RunsClient,
  ) {}

  onApplicationBootstrap(): void {
    void this.rereadOnReconnect();
  }

  /** Ends when the connection is closed. */
  private async rereadOnReconnect(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type !== 'reconnect' || this.streams.size === 0) continue;
      this.logger.log({ streams: this.streams.size, msg: 'NATS reconnected; open status streams read again' });
      for (const reread of this.streams) reread();
    }
  }

  /**
   * Resolves once the first snapshot is written; rejects (before writing anything) when the run is
   * unknown or runs does not answer. The stream then ends after a terminal snapshot or on `signal`.
   */
  async open(wid: string, sink: StatusSink, signal: AbortSignal): Promise<void> {
    const id = requireRunId(wid);
    const correlationId = currentCorrelationId();
    let last: string | undefined;
    let done = false;
    let reading = false;
    let again = false;

    let retry: NodeJS.Timeout | undefined;

    const stop = () => {
      if (done) return;
      done = true;
      sub.unsubscribe();
      this.streams.delete(reread);
      clearTimeout(retry);
      signal.removeEventListener('abort', stop);
    };
    const emit = (run: RunView) => {
      const line = JSON.stringify(run);
      if (line !== last) {
        last = line;
        sink.write(`${line}\n`);
      }
      if (isTerminalRunStatus(run.status)) {
        stop();
        sink.end();
      }
    };
    // One read at a time; events arriving meanwhile collapse into one more read.
    const pump = async (): Promise<void> => {
      if (reading) {
        again = true;
        return;
      }
      reading = true;
      try {
        do {
          again = false;
          const run = await this.runs.getRun(id, { correlationId });
          if (done) return;
          emit(run);
        } while (again && !done);
      } finally {
        reading = false;
      }
    };
    const reread = (): void => {
      if (done) return;
      pump().catch((e) => {
        this.logger.warn({ workflowId: id, correlationId, err: String(e), msg: 'status re-read failed; trying again' });
        if (done || retry) return;
        retry = setTimeout(() => {
          retry = undefined;
          reread();
        }, STATUS_RETRY_MS);
      });
    };

    // Subscribe before the first read, so a change between the two is not missed.
    const sub = this.nc.subscribe(subjects.runUpdated(id), {
      callback: (err) => {
        if (!err) reread();
      },
    });
    this.streams.add(reread);
    signal.addEventListener('abort', stop, { once: true });
    if (signal.aborted) stop();
    try {
      await pump();
    } catch (err) {
      stop();
      throw err;
    }
  }
}
