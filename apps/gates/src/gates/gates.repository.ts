import { Injectable } from '@nestjs/common';
import {
  GateState,
  type GateRequestRunSummary,
  type GateChoice,
  type GatePolicy,
  type GateSummary,
  type JsonPatchOpDto,
  type Plan,
  type RiskLevel,
} from '@gatehouse/contracts';
import { iso } from '../shared/time';
import { queryRows, type Db } from '@gatehouse/persistence';

/** A `gates.gates` row as the services use it. */
export interface GateRow {
  workflowId: string;
  gateKey: string;
  /** The gate its escalation chain started from: its own key unless it is a successor. */
  rootGateKey: string;
  escalationLevel: number;
  state: GateState;
  topic: string;
  recipeName: string;
  choices: GateChoice[];
  policy: GatePolicy;
  deadlineAt: string;
  openedAt: string;
  closedAt: string | null;
  riskLevel: RiskLevel;
  requiredApprovals: number;
  approvalCount: number;
  planHash: string | null;
  title: string | null;
  /** The run's summary as its gate request carried it (null for gates opened before it was sent). */
  run: GateRequestRunSummary | null;
  /** Who may decide (gate-eligibility.ts): NULL roles = any role. */
  allowedRoles: string[] | null;
  selfApprovalAllowed: boolean;
  /** The principal who started the run. */
  requestedBy: string | null;
  requirePlanHash: boolean;
  /** The plan version the gate decides on, and the patch from the compiled plan to it. */
  plan: Plan | null;
  planPatch: JsonPatchOpDto[];
}

export interface LockedGate extends GateRow {
  /** The database clock when the lock was granted: the time of whatever the caller records. */
  now: string;
}

interface RawGate {
  workflow_id: string;
  gate_key: string;
  root_gate_key: string;
  escalation_level: number;
  state: GateState;
  topic: string;
  recipe_name: string;
  choices: GateChoice[];
  policy: GatePolicy;
  deadline_at: Date;
  opened_at: Date;
  closed_at: Date | null;
  risk_level: RiskLevel;
  required_approvals: number;
  approval_count: number;
  plan_hash: string | null;
  title: string | null;
  run_goal: string | null;
  run_partition: string | null;
  requested_by: string | null;
  allowed_roles: string[] | null;
  self_approval_allowed: boolean;
  require_plan_hash: boolean;
  plan: Plan | null;
  plan_patch: JsonPatchOpDto[];
  now?: Date;
}

/** Advisory lock class of per-run lifecycle locks (any constant distinct from other uses). */
const RUN_LIFECYCLE_LOCK_CLASS = 7_261_100;

const COLUMNS =
  'workflow_id, gate_key, COALESCE(root_gate_key, gate_key) AS root_gate_key, escalation_level, state, topic, recipe_name, choices, policy, deadline_at, opened_at, closed_at, risk_level, required_approvals, approval_count, plan_hash, title, run_goal, run_partition, requested_by, allowed_roles, self_approval_allowed, require_plan_hash, plan, plan_patch';

function toRow(r: RawGate): GateRow {
  return {
    workflowId: r.workflow_id,
    gateKey: r.gate_key,
    rootGateKey: r.root_gate_key,
    escalationLevel: r.escalation_level,
    state: r.state,
    topic: r.topic,
    recipeName: r.recipe_name,
    choices: r.choices,
    policy: r.policy,
    deadlineAt: iso(r.deadline_at),
    openedAt: iso(r.opened_at),
    closedAt: r.closed_at ? iso(r.closed_at) : null,
    riskLevel: r.risk_level,
    requiredApprovals: r.required_approvals,
    approvalCount: r.approval_count,
    planHash: r.plan_hash,
    title: r.title,
    run: r.run_goal === null || r.run_partition === null ? null : { goal: r.run_goal, partition: r.run_partition },
    allowedRoles: r.allowed_roles,
    selfApprovalAllowed: r.self_approval_allowed,
    requestedBy: r.requested_by,
    requirePlanHash: r.require_plan_hash,
    plan: r.plan,
    planPatch: r.plan_patch,
  };
}

export function toSummary(g: GateRow): GateSummary {
  return {
    gateKey: g.gateKey,
    rootGateKey: g.rootGateKey,
    escalationLevel: g.escalationLevel,
    state: g.state,
    topic: g.topic,
    deadlineAt: g.deadlineAt,
    openedAt: g.openedAt,
    closedAt: g.closedAt,
    riskLevel: g.riskLevel,
    requiredApprovals: g.requiredApprovals,
    approvalCount: g.approvalCount,
    planHash: g.planHash,
  };
}

export interface NewGate {
  workflowId: string;
  gateKey: string;
  /** Set for a successor gate: the root of its chain and its level (1, 2, ...). */
  escalation?: { rootGateKey: string; level: number };
  topic: string;
  recipeName: string;
  choices: GateChoice[];
  policy: GatePolicy;
  title: string;
  run?: GateRequestRunSummary | null;
  /** The policy facts replies are judged on (DESIGN section 11). */
  rules: GateRules;
}

/** What a gate's risk level and the run ask of its replies, fixed when it opens. */
export interface GateRules {
  riskLevel: RiskLevel;
  requiredApprovals: number;
  allowedRoles: string[] | null;
  selfApprovalAllowed: boolean;
  requestedBy: string | null;
  requirePlanHash: boolean;
  plan: Plan;
  planHash: string;
  planPatch: JsonPatchOpDto[];
}

/** SQL on `gates.gates` and `gates.finished_runs`. Callers pass the transaction to run in. */
@Injectable()
export class GatesRepository {
  /**
   * Inserts the gate PENDING with deadline = now + policy.timeoutS. Returns undefined when the
   * gate already exists (a redelivered or repeated request), so its side effects happen once.
   */
  async insertPending(db: Db, g: NewGate): Promise<GateRow | undefined> {
    const rows = await queryRows<RawGate>(
      db,
      `WITH t AS (SELECT clock_timestamp() AS now)
       INSERT INTO gates.gates
         (workflow_id, gate_key, root_gate_key, escalation_level, state, topic, recipe_name, choices, policy, deadline_at, opened_at,
          title, run_goal, run_partition,
          risk_level, required_approvals, allowed_roles, self_approval_allowed, requested_by, require_plan_hash, plan, plan_hash, plan_patch)
       SELECT $1, $2, $8::text, $9::int, 'PENDING', $3, $4, $5::jsonb, $6::jsonb, t.now + make_interval(secs => $7), t.now,
              $10, $11, $12, $13, $14, $15::text[], $16, $17, $18, $19::jsonb, $20, $21::jsonb FROM t
       ON CONFLICT (workflow_id, gate_key) DO NOTHING
       RETURNING ${COLUMNS}`,
      [
        g.workflowId,
        g.gateKey,
        g.topic,
        g.recipeName,
        JSON.stringify(g.choices),
        JSON.stringify(g.policy),
        g.policy.timeoutS,
        g.escalation?.rootGateKey ?? null,
        g.escalation?.level ?? 0,
        g.title,
        g.run?.goal ?? null,
        g.run?.partition ?? null,
        g.rules.riskLevel,
        g.rules.requiredApprovals,
        g.rules.allowedRoles,
        g.rules.selfApprovalAllowed,
        g.rules.requestedBy,
        g.rules.requirePlanHash,
        JSON.stringify(g.rules.plan),
        g.rules.planHash,
        JSON.stringify(g.rules.planPatch),
      ],
    );
    return rows[0] ? toRow(rows[0]) : undefined;
  }

  /** Locks the gate row until the transaction ends: replies to one gate serialise here. */
  async lock(db: Db, workflowId: string, gateKey: string): Promise<LockedGate | undefined> {
    const rows = await queryRows<RawGate>(
      db,
      `SELECT ${COLUMNS}, clock_timestamp() AS now FROM gates.gates
       WHERE workflow_id = $1 AND gate_key = $2 FOR UPDATE`,
      [workflowId, gateKey],
    );
    const r = rows[0];
    return r ? { ...toRow(r), now: iso(r.now as Date) } : undefined;
  }

  async find(db: Db, workflowId: string, gateKey: string): Promise<GateRow | undefined> {
    const rows = await queryRows<RawGate>(
      db,
      `SELECT ${COLUMNS} FROM gates.gates WHERE workflow_id = $1 AND gate_key = $2`,
      [workflowId, gateKey],
    );
    return rows[0] ? toRow(rows[0]) : undefined;
  }

  /** The gates of the escalation chain rooted at `rootGateKey`, the latest level first. */
  async chainOf(db: Db, workflowId: string, rootGateKey: string): Promise<GateRow[]> {
    const rows = await queryRows<RawGate>(
      db,
      `SELECT ${COLUMNS} FROM gates.gates
       WHERE workflow_id = $1 AND COALESCE(root_gate_key, gate_key) = $2
       ORDER BY escalation_level DESC`,
      [workflowId, rootGateKey],
    );
    return rows.map(toRow);
  }

  async exists(db: Db, workflowId: string, gateKey: string): Promise<boolean> {
    const rows = await queryRows(db, `SELECT 1 FROM gates.gates WHERE workflow_id = $1 AND gate_key = $2`, [
      workflowId,
      gateKey,
    ]);
    return rows.length > 0;
  }

  async listByWorkflow(db: Db, workflowId: string): Promise<GateRow[]> {
    const rows = await queryRows<RawGate>(
      db,
      `SELECT ${COLUMNS} FROM gates.gates WHERE workflow_id = $1 ORDER BY opened_at, gate_key`,
      [workflowId],
    );
    return rows.map(toRow);
  }

  /**
   * Moves a PENDING gate to `state`, once: under concurrency the row lock taken by UPDATE and the
   * re-checked `state = 'PENDING'` let exactly one caller win. Returns closed_at, or undefined.
   */
  async closeIfPending(db: Db, workflowId: string, gateKey: string, state: GateState): Promise<GateRow | undefined> {
    const rows = await queryRows<RawGate>(
      db,
      `UPDATE gates.gates SET state = $3, closed_at = clock_timestamp()
       WHERE workflow_id = $1 AND gate_key = $2 AND state = 'PENDING'
       RETURNING ${COLUMNS}`,
      [workflowId, gateKey, state],
    );
    return rows[0] ? toRow(rows[0]) : undefined;
  }

  /** Closes a gate that the caller holds locked and saw PENDING. */
  async markReceived(db: Db, workflowId: string, gateKey: string, at: string): Promise<void> {
    const rows = await queryRows(
      db,
      `UPDATE gates.gates SET state = 'RECEIVED', closed_at = $3
       WHERE workflow_id = $1 AND gate_key = $2 AND state = 'PENDING' RETURNING 1`,
      [workflowId, gateKey, at],
    );
    if (rows.length !== 1) throw new Error(`gate ${workflowId}/${gateKey} was not PENDING under its lock`);
  }

  /**
   * After a vote, under the gate's lock: the plan version it now decides on (a patch makes a new one)
   * and the approvals of that version counted so far.
   */
  async recordVersion(
    db: Db,
    workflowId: string,
    gateKey: string,
    v: { planHash: string; plan: Plan; planPatch: JsonPatchOpDto[]; approvalCount: number },
  ): Promise<void> {
    await queryRows(
      db,
      `UPDATE gates.gates SET plan_hash = $3, plan = $4::jsonb, plan_patch = $5::jsonb, approval_count = $6
       WHERE workflow_id = $1 AND gate_key = $2`,
      [workflowId, gateKey, v.planHash, JSON.stringify(v.plan), JSON.stringify(v.planPatch), v.approvalCount],
    );
  }

  /**
   * Records that the run finished (once) and cancels its PENDING gates, in one statement; returns
   * the gates it cancelled. Callers hold the run's lifecycle lock (lockRunLifecycle), taken by an
   * earlier statement so that this one's snapshot sees every gate opened before the lock was granted.
   */
  async finishRun(db: Db, workflowId: string, status: string): Promise<GateRow[]> {
    const rows = await queryRows<RawGate>(
      db,
      `WITH finished AS (
         INSERT INTO gates.finished_runs (workflow_id, status) VALUES ($1, $2) ON CONFLICT (workflow_id) DO NOTHING
       )
       UPDATE gates.gates SET state = 'CANCELLED', closed_at = clock_timestamp()
       WHERE workflow_id = $1 AND state = 'PENDING'
       RETURNING ${COLUMNS}`,
      [workflowId, status],
    );
    return rows.map(toRow);
  }

  /**
   * Serialises "open a gate" and "the run finished" for one run until the transaction ends, so a
   * gate cannot open PENDING unseen by a concurrent cancellation. Rare events: replies never take it.
   */
  async lockRunLifecycle(db: Db, workflowId: string): Promise<void> {
    await queryRows(db, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, [RUN_LIFECYCLE_LOCK_CLASS, workflowId]);
  }

  async isRunFinished(db: Db, workflowId: string): Promise<boolean> {
    const rows = await queryRows(db, `SELECT 1 FROM gates.finished_runs WHERE workflow_id = $1`, [workflowId]);
    return rows.length > 0;
  }
}
