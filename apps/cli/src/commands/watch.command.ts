import { isTerminalRunStatus, type RunView } from '@gatehouse/contracts';
import { CliError } from '../cli-error';
import type { CliIo } from '../cli-io';
import { ExitCode } from '../exit-codes';
import { seg, type GatehouseApi } from '../api/gatehouse-api';
import { parseDuration } from '../output/durations';
import { tone, type Style } from '../output/style';
import { apiCommand, apiContext, type ApiContext, type ApiOptions } from './command-kit';
import { throwForOutcome } from './status.command';

interface WatchOptions extends ApiOptions {
  exitStatus?: boolean;
  timeout?: string;
}

/** How long to wait before opening the stream again after it dropped without a terminal snapshot. */
const RECONNECT_MS = [250, 500, 1000, 2000, 5000];

/**
 * `gatehouse watch <wid>`: follows GET /api/runs/:wid/stream/status (NDJSON, one snapshot per change)
 * until the run ends, reconnecting if the stream drops. The stream is a UX channel: the outcome
 * printed and used for --exit-status is the run as the API has it at the end.
 */
export function watchCommand(io: CliIo) {
  return apiCommand('watch', 'follow a run until it ends, one line per change')
    .argument('<wid>', 'the run (workflow) id')
    .option('--exit-status', 'exit 0 if the run succeeded, 1 if it ended otherwise')
    .option('--timeout <duration>', 'stop waiting after this long (e.g. 10m) and exit 8')
    .action(async (wid: string, opts: WatchOptions) => {
      const ctx = apiContext(io, opts);
      const timeoutS = opts.timeout ? parseDuration(opts.timeout, '--timeout') : undefined;
      const deadline = new AbortController();
      const timer = timeoutS ? setTimeout(() => deadline.abort(), timeoutS * 1000) : undefined;
      try {
        const last = await follow(ctx, wid, deadline.signal);
        if (!last) throw new CliError(`run ${wid} has not finished after ${opts.timeout}`, ExitCode.PENDING);
        if (!ctx.json) io.log(`run ${wid} ended ${last.status}`);
        if (opts.exitStatus) throwForOutcome(last);
      } finally {
        clearTimeout(timer);
      }
    });
}

/** Prints snapshots until a terminal one; undefined when `signal` stopped the wait first. */
async function follow(ctx: ApiContext, wid: string, signal: AbortSignal): Promise<RunView | undefined> {
  let attempt = 0;
  let previous = '';
  for (;;) {
    let last: RunView | undefined;
    try {
      const res = await ctx.api.stream(`/api/runs/${seg(wid)}/stream/status`, signal);
      attempt = 0;
      for await (const snapshot of ndjson<RunView>(res, signal)) {
        last = snapshot;
        const line = JSON.stringify(snapshot);
        if (line !== previous) print(ctx, snapshot);
        previous = line;
        if (isTerminalRunStatus(snapshot.status)) return snapshot;
      }
    } catch (err) {
      if (signal.aborted) return undefined;
      if (err instanceof CliError && err.exitCode !== ExitCode.FAILURE) throw err; // 401, 404: no point retrying
      ctx.io.log(`stream interrupted (${err instanceof Error ? err.message : String(err)}); reconnecting`);
    }
    // The stream ended without a terminal snapshot (a gateway restart): ask the run itself, then follow again.
    const now = await runNow(ctx.api, wid, signal);
    if (now && isTerminalRunStatus(now.status)) {
      if (JSON.stringify(now) !== previous) print(ctx, now);
      return now;
    }
    if (signal.aborted) return undefined;
    if (!last) attempt++;
    await sleep(RECONNECT_MS[Math.min(attempt, RECONNECT_MS.length - 1)], signal);
    if (signal.aborted) return undefined;
  }
}

async function runNow(api: GatehouseApi, wid: string, signal: AbortSignal): Promise<RunView | undefined> {
  if (signal.aborted) return undefined;
  try {
    return await api.get<RunView>(`/api/runs/${seg(wid)}`);
  } catch (err) {
    if (err instanceof CliError && err.exitCode !== ExitCode.FAILURE) throw err;
    return undefined;
  }
}

function print(ctx: ApiContext, run: RunView): void {
  if (ctx.json) return ctx.io.out(JSON.stringify(run));
  ctx.io.out(snapshotLine(run, ctx.style, ctx.io.now()));
}

/** One line per change: time, status, last step, what it waits for, tasks. */
export function snapshotLine(run: RunView, style: Style, now: Date): string {
  const parts = [
    now.toISOString().slice(11, 19),
    tone(style, run.status),
    run.lastStep ?? '-',
    run.nextAction && run.nextAction !== 'NONE' ? `waiting: ${run.nextAction}` : '',
    run.tasks?.total ? `tasks ${run.tasks.done}/${run.tasks.total}` : '',
    run.error ? style.red(`${run.error.code}${run.error.gateKey ? ` at ${run.error.gateKey}` : ''}`) : '',
  ];
  return parts.filter(Boolean).join('  ');
}

/** The lines of an NDJSON body as parsed objects. */
async function* ndjson<T>(res: Response, signal: AbortSignal): AsyncGenerator<T> {
  if (!res.body) return;
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    if (signal.aborted) return;
    buffer += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (line) yield JSON.parse(line) as T;
    }
  }
  if (buffer.trim()) yield JSON.parse(buffer) as T;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}
