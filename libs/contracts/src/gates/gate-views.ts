import type { DecidedBy, Decision, GateChoice, GateEscalationInfo, GatePolicy, GateState } from '../abi/gate-abi';
import type { GateAuditEntry } from './gate-audit';
import type { EscalationSummary } from '../escalation/escalation-views';
import type { ReplyPayloadDto } from './reply.dto';
import type { RiskLevel } from './risk-level';
import type { GateRisk, GateVote } from './gate-votes';

/** The prompt stored under `ui:<g>`. */
export interface GatePrompt {
  schemaVersion: number;
  gateKey: string;
  title: string;
  plan: unknown;
  planHash: string;
  choices: GateChoice[];
  deadlineAt: string;
  policy: GatePolicy;
  /** Present on a successor gate opened by escalation: its chain, level and approver group. */
  escalation?: GateEscalationInfo;
  /** The gate's risk level, why, and what it asks of a reply (DESIGN section 11). */
  risk?: GateRisk;
}

/** The value stored under `ui:<g>:result`. */
export interface GateResult {
  choice: string;
  rationale: string | null;
  dedupeKey: string;
  origin: string;
  actor: string | null;
  /** Set when a signed source relayed the reply for this person (DESIGN section 10). */
  onBehalfOf?: string | null;
  payloadHash: string;
  /** The plan version decided on. */
  planHash?: string;
  /** Every vote that counted, the deciding one last. */
  votes?: GateVote[];
  at: string;
}

/** The value stored under `decision:<g>`. */
export interface GateDecisionValue {
  decision: Decision;
  by: DecidedBy;
  /** The plan version approved (or rejected): the run executes exactly this one. */
  planHash?: string;
  /** Every vote that counted, the deciding one last. */
  votes?: GateVote[];
  at: string;
}

export interface GateSummary {
  gateKey: string;
  /** The gate its escalation chain started from (its own key unless it is a successor). */
  rootGateKey: string;
  escalationLevel: number;
  state: GateState;
  topic: string;
  deadlineAt: string;
  openedAt: string;
  closedAt: string | null;
  riskLevel: RiskLevel;
  /** Distinct approvals that decide `approve`. */
  requiredApprovals: number;
  /** Approvals that count so far (of the current plan version). */
  approvalCount: number;
  /** The plan version the gate decides on (the prompt's, or a patched one); null before policy recorded it. */
  planHash: string | null;
}

export interface GateDetail extends GateSummary {
  /** The votes that count (approvals of the current plan version, and the deciding vote). */
  approvals: GateVote[];
  prompt: GatePrompt;
  result: GateResult | null;
  decision: GateDecisionValue | null;
}

/** GET /api/runs/:wid/gates/:g: the gate's detail and the escalation its deadline started (or null). */
export interface GateDetailView extends GateDetail {
  escalation: EscalationSummary | null;
}

/** A reply as the gates service receives it, whatever surface it came by. */
export interface GateReplyCommand {
  workflowId: string;
  gateKey: string;
  topic: string;
  payload: ReplyPayloadDto;
  dedupeKey: string;
  origin: string;
  /** The authenticated principal's id (DESIGN section 10); never chosen by a request body. */
  actor: string | null;
  /** The person a signed source relays the reply for, as the source says. */
  onBehalfOf?: string | null;
  /** The principal's roles, judged against the roles the gate's level allows. */
  actorRoles?: string[];
}

export interface GateReplyResult {
  ok: true;
  state: GateState;
  duplicate: boolean;
}

/** One row of the interaction ledger `gates.human_interactions`, as the gate's history shows it. */
export interface GateLedgerRow {
  topic: string;
  dedupeKey: string;
  payload: unknown;
  payloadHash: string;
  origin: string;
  actor: string | null;
  onBehalfOf: string | null;
  createdAt: string;
}

/** GET /api/runs/:wid/gates/:g/history: the audit trail and the ledger rows of one gate, oldest first. */
export interface GateHistory {
  workflowId: string;
  gateKey: string;
  audit: GateAuditEntry[];
  ledger: GateLedgerRow[];
}
