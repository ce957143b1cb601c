import type { TestDatabase } from '../../../tools/test-support/database';
import { sleep } from './prng';

export interface RunState {
  status: string;
  error: { code?: string; gateKey?: string } | null;
}

const TERMINAL = new Set(['SUCCESS', 'ERROR', 'CANCELLED', 'MAX_RECOVERY_ATTEMPTS_EXCEEDED']);

/**
 * One test-side poller of the SQL truth (plan gates and run statuses) that many simulated clients
 * wait on, instead of each polling the gateway. Errors (Postgres restarting) are ignored: the
 * next poll tries again.
 */
export class SqlWatcher {
  private gates = new Map<string, string>();
  private runs = new Map<string, RunState>();
  private timer?: NodeJS.Timeout;
  private polling = false;
  lastError?: string;

  constructor(
    private readonly db: TestDatabase,
    private readonly intervalMs = 250,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const gates = await this.db.query<{ wid: string; state: string }>(
        `SELECT workflow_id::text AS wid, state FROM gates.gates WHERE gate_key = 'approve-plan'`,
      );
      const runs = await this.db.query<{ id: string; status: string; error: RunState['error'] }>(
        `SELECT id::text AS id, status, error FROM runs.runs`,
      );
      this.gates = new Map(gates.map((g) => [g.wid, g.state]));
      this.runs = new Map(runs.map((r) => [r.id, { status: r.status, error: r.error }]));
      this.lastError = undefined;
    } catch (err) {
      this.lastError = String(err);
    } finally {
      this.polling = false;
    }
  }

  gateState(wid: string): string | undefined {
    return this.gates.get(wid);
  }

  run(wid: string): RunState | undefined {
    return this.runs.get(wid);
  }

  isTerminal(wid: string): boolean {
    return TERMINAL.has(this.runs.get(wid)?.status ?? '');
  }

  async waitFor(check: () => boolean, timeoutMs: number, what: string | (() => string)): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > until)
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}${this.lastError ? ` (last SQL error: ${this.lastError})` : ''}`,
        );
      await sleep(this.intervalMs);
    }
  }

  /** Resolves when the plan gate of `wid` exists (in any state). */
  waitGate(wid: string, timeoutMs = 60_000): Promise<void> {
    return this.waitFor(() => this.gates.has(wid), timeoutMs, `the plan gate of ${wid}`);
  }

  waitTerminal(wids: string[], timeoutMs: number): Promise<void> {
    return this.waitFor(
      () => wids.every((w) => this.isTerminal(w)),
      timeoutMs,
      () => this.describeUnfinished(wids),
    );
  }

  describeUnfinished(wids: string[]): string {
    const open = wids.filter((w) => !this.isTerminal(w));
    return `${open.length} of ${wids.length} runs to finish; e.g. ${open
      .slice(0, 5)
      .map((w) => `${w}=${this.runs.get(w)?.status ?? 'unknown'}/gate ${this.gates.get(w) ?? 'none'}`)
      .join(', ')}`;
  }
}
