import { LoadHttpClient } from '../../load/http-client';
import type { LatencySummary } from '../../load/latency';
import { runAtRate, runPool } from '../../load/pool';
import { CpuWindow, round, type WatchedProcess } from '../../load/proc-stats';
import { countPer, cpuMsPer } from '../../load/scenario-run';
import type { FloorChecks, FloorStack } from './floor-stack';

export interface FloorPhaseOptions {
  replies: number;
  /** Closed loop: replies in flight at once. */
  concurrency: number;
  /** Open loop instead: one reply every 1/rate s, whatever the answers' latency. */
  ratePerS?: number;
  /** nats-server's pid, to count its CPU (same machine only). */
  natsPid?: number;
}

export interface FloorPhase {
  mode: string;
  replies: number;
  accepted: number;
  /** Answers other than 200 `{ok: true, duplicate: false}`, by status ("0" = no answer). */
  errorsByStatus: Record<string, number>;
  repliesPerS: number;
  latencyMs: LatencySummary;
  /** From the last answer until both consumers had recorded every accepted reply. */
  settleMs: number;
  /** Every watched process's CPU from the first reply until settled, per accepted reply. */
  cpuMsPerReply: Record<string, number>;
  sysCpuMsPerReply: Record<string, number>;
  ctxSwitchesPerReply: Record<string, number>;
  checks: FloorChecks;
}

/**
 * Replies to `replies` fresh gates of a floor stack, closed or open loop, and measures what the
 * runner measures of the product: replies/s, latency, CPU and context switches per reply until the
 * last decision reached both consumers, then checks every row.
 */
export async function runFloorPhase(stack: FloorStack, o: FloorPhaseOptions): Promise<FloorPhase> {
  const wids = await stack.seedGates(o.replies);
  const already = await stack.ledgerRows();
  const http = new LoadHttpClient(stack.baseUrl, o.ratePerS ? 512 : o.concurrency);
  const watched = async (): Promise<WatchedProcess[]> => [
    ...stack.processes(),
    ...(o.natsPid ? [{ name: 'nats-server', pid: o.natsPid }] : []),
    ...(await stack.backends()).map((pid) => ({ name: 'postgres backends', pid })),
    { name: 'floor-driver', pid: process.pid },
  ];
  let accepted = 0;
  const reply = async (wid: string) => {
    const path = stack.replyPath(wid);
    const a = await http.post('reply', path, {
      payload: { choice: 'yes', rationale: 'floor' },
      dedupeKey: `floor-${wid}`,
    });
    const ok = a.status === 200 && a.body?.ok === true && a.body?.duplicate === false;
    if (http.judge('reply', path, a, ok ? undefined : 'expected 200 {ok: true, duplicate: false}')) accepted++;
  };
  const cpu = new CpuWindow();
  cpu.start(await watched());
  const t0 = performance.now();
  try {
    if (o.ratePerS) await runAtRate(wids, o.ratePerS, reply);
    else await runPool(wids, o.concurrency, reply);
    const replyMs = performance.now() - t0;
    await stack.awaitEffects(already + accepted);
    const settleMs = performance.now() - t0 - replyMs;
    const window = cpu.stop(await watched());
    return {
      mode: o.ratePerS ? `${o.ratePerS}/s` : `closed c=${o.concurrency}`,
      replies: o.replies,
      accepted,
      errorsByStatus: http.errorsByStatus,
      repliesPerS: round((1000 * accepted) / replyMs),
      latencyMs: http.stats().reply!.latencyMs,
      settleMs: round(settleMs),
      cpuMsPerReply: cpuMsPer(window, accepted),
      sysCpuMsPerReply: cpuMsPer(window, accepted, 'sysCpuS'),
      ctxSwitchesPerReply: countPer(window, accepted, 'ctxSwitches'),
      checks: await stack.checks(already + accepted),
    };
  } finally {
    http.close();
  }
}
