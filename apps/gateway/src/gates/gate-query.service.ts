import { Injectable } from '@nestjs/common';
import {
  ErrorCode,
  GateState,
  type EscalationSummary,
  type GateDetail,
  type GateDetailView,
  type GateHistory,
  type GateSummary,
} from '@gatehouse/contracts';
import { requireRunId } from '../params/run-id';
import { EscalationClient } from '../rpc/escalation.client';
import { GatesClient } from '../rpc/gates.client';
import { hasCode } from '../rpc/rpc-error.mapping';
import { RunsClient } from '../rpc/runs.client';
import { gateWaitKey, WaiterRegistry } from './long-poll/waiter-registry';

/** Reads of gates: the list of a run, one gate, and the long-poll on one gate. */
@Injectable()
export class GateQueryService {
  constructor(
    private readonly gates: GatesClient,
    private readonly runs: RunsClient,
    private readonly escalations: EscalationClient,
    private readonly waiters: WaiterRegistry,
  ) {}

  async list(wid: string): Promise<GateSummary[]> {
    const id = requireRunId(wid);
    const gates = await this.gates.list(id);
    // `[]` is also what gates says for a run it never heard of: only runs knows whether it exists.
    if (gates.length === 0) await this.runs.assertRunExists(id);
    return gates;
  }

  /**
   * The gate's detail; with `timeoutS > 0` and the gate PENDING, answers when it leaves PENDING or when
   * the time is up, whichever comes first. The waiter is registered before the state is read, so a
   * decision landing in between still wakes it. `signal` aborts the wait when the client goes away.
   */
  async get(wid: string, gateKey: string, timeoutS: number, signal?: AbortSignal): Promise<GateDetailView> {
    const id = requireRunId(wid);
    return this.withEscalation(id, await this.detail(id, gateKey, timeoutS, signal));
  }

  private async detail(id: string, gateKey: string, timeoutS: number, signal?: AbortSignal): Promise<GateDetail> {
    if (timeoutS <= 0) return this.fetch(id, gateKey);
    const waiter = this.waiters.register(gateWaitKey(id, gateKey), timeoutS * 1000, signal);
    try {
      const first = await this.fetch(id, gateKey);
      if (first.state !== GateState.PENDING) return first;
      const reason = await waiter.woken;
      return reason === 'aborted' ? first : await this.fetch(id, gateKey);
    } finally {
      waiter.cancel();
    }
  }

  /**
   * The escalation the gate's deadline started (`esc:<wid>:<g>`), read after the gate: null when there
   * is none. When the escalation service does not answer the read is 503, like any other service outage.
   */
  /** The gate's audit trail and ledger rows (an unknown run is RUN_NOT_FOUND, as for the gate itself). */
  async history(wid: string, gateKey: string): Promise<GateHistory> {
    const id = requireRunId(wid);
    try {
      return await this.gates.history(id, gateKey);
    } catch (err) {
      if (hasCode(err, ErrorCode.GATE_NOT_FOUND)) await this.runs.assertRunExists(id);
      throw err;
    }
  }

  private async withEscalation(wid: string, gate: GateDetail): Promise<GateDetailView> {
    const found = await this.escalations.find(wid, gate.gateKey);
    const escalation: EscalationSummary | null = found && {
      id: found.id,
      status: found.status,
      action: found.action,
      createdAt: found.createdAt,
      detail: found.detail,
    };
    return { ...gate, escalation };
  }

  private async fetch(wid: string, gateKey: string): Promise<GateDetail> {
    try {
      return await this.gates.get(wid, gateKey);
    } catch (err) {
      if (hasCode(err, ErrorCode.GATE_NOT_FOUND)) await this.runs.assertRunExists(wid);
      throw err;
    }
  }
}
