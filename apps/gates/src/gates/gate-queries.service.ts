import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  ErrorCode,
  GatehouseError,
  GateState,
  isValidGateKey,
  PLAN_GATE_KEY,
  type GateDetail,
  type GateHistory,
  type GateSummary,
} from '@gatehouse/contracts';
import { GateHistoryRepository } from './gate-history.repository';
import { GatesRepository, toSummary } from './gates.repository';
import { VotesRepository } from './votes.repository';
import { WorkflowEventsRepository } from './workflow-events.repository';
import { isUuid, isPlainObject } from '@gatehouse/contracts';

const gateNotFound = (wid: unknown, g: unknown) =>
  new GatehouseError(ErrorCode.GATE_NOT_FOUND, `run ${String(wid)} has no gate ${String(g)}`);

function workflowIdOf(body: unknown): string {
  if (!isPlainObject(body) || typeof body.workflowId !== 'string' || body.workflowId.length > 64) {
    throw new GatehouseError(ErrorCode.VALIDATION_FAILED, 'workflowId must be a string');
  }
  return body.workflowId;
}

function gateKeyOf(body: unknown): string {
  const g = isPlainObject(body) ? body.gateKey : undefined;
  if (!isValidGateKey(g))
    throw new GatehouseError(ErrorCode.INVALID_GATE_KEY, 'gateKey must match ^[a-z0-9][a-z0-9-]{0,62}$');
  return g;
}

/** Read side of `rpc.gates.*`. A non-UUID workflow id is an unknown run and never reaches SQL. */
@Injectable()
export class GateQueriesService {
  constructor(
    private readonly ds: DataSource,
    private readonly gates: GatesRepository,
    private readonly events: WorkflowEventsRepository,
    private readonly history: GateHistoryRepository,
    private readonly votes: VotesRepository,
  ) {}

  /** [] for a run without gates (or an unknown run: the gateway asks runs which of the two it is). */
  async list(body: unknown): Promise<GateSummary[]> {
    const wid = workflowIdOf(body);
    if (!isUuid(wid)) return [];
    return (await this.gates.listByWorkflow(this.ds, wid)).map(toSummary);
  }

  async get(body: unknown): Promise<GateDetail> {
    const wid = workflowIdOf(body);
    const g = gateKeyOf(body);
    if (!isUuid(wid)) throw gateNotFound(wid, g);
    // One snapshot for the row and its events, so a state and its result/decision agree.
    return this.ds.transaction('REPEATABLE READ', async (tx) => {
      const gate = await this.gates.find(tx, wid, g);
      if (!gate) throw gateNotFound(wid, g);
      const ev = await this.events.gateEvents(tx, wid, g);
      if (!ev.prompt) throw new Error(`gate ${wid}/${g} has no prompt event`);
      // A decided gate shows the votes its decision lists; a pending one, those of its current version.
      const approvals = ev.decision?.votes ?? (await this.votes.ofVersion(tx, wid, g, gate.planHash));
      return { ...toSummary(gate), approvals, prompt: ev.prompt, result: ev.result, decision: ev.decision };
    });
  }

  /** The gate's audit trail and ledger rows, read in one snapshot. */
  async historyOf(body: unknown): Promise<GateHistory> {
    const wid = workflowIdOf(body);
    const g = gateKeyOf(body);
    if (!isUuid(wid)) throw gateNotFound(wid, g);
    return this.ds.transaction('REPEATABLE READ', async (tx) => {
      if (!(await this.gates.find(tx, wid, g))) throw gateNotFound(wid, g);
      const [audit, ledger] = [await this.history.audit(tx, wid, g), await this.history.ledger(tx, wid, g)];
      return { workflowId: wid, gateKey: g, audit, ledger };
    });
  }

  /**
   * The PENDING gate of the plan gate's escalation chain (`approve-plan`, or the successor that waits
   * after it timed out under `escalate`): what the legacy bridge answers.
   */
  async pendingPlanGate(body: unknown): Promise<GateSummary> {
    const wid = workflowIdOf(body);
    if (!isUuid(wid)) throw gateNotFound(wid, PLAN_GATE_KEY);
    const chain = await this.gates.chainOf(this.ds, wid.toLowerCase(), PLAN_GATE_KEY);
    if (chain.length === 0) throw gateNotFound(wid, PLAN_GATE_KEY);
    const pending = chain.find((g) => g.state === GateState.PENDING);
    if (!pending) {
      const last = chain[0];
      throw new GatehouseError(
        ErrorCode.NO_PENDING_GATE,
        `the plan gate of run ${wid} is ${last.state}${last.gateKey === PLAN_GATE_KEY ? '' : ` (at ${last.gateKey})`}, not PENDING`,
      );
    }
    return toSummary(pending);
  }
}
