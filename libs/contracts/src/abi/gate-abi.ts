/** The frozen HITL ABI (DESIGN section 3): gate keys, states, event keys and topics. */

export const GATE_KEY_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const PLAN_GATE_KEY = 'approve-plan';
export const PROMPT_SCHEMA_VERSION = 1;

export function isValidGateKey(value: unknown): value is string {
  return typeof value === 'string' && GATE_KEY_PATTERN.test(value);
}

export enum GateState {
  PENDING = 'PENDING',
  RECEIVED = 'RECEIVED',
  TIMED_OUT = 'TIMED_OUT',
  CANCELLED = 'CANCELLED',
}

export enum Decision {
  APPROVE = 'approve',
  REJECT = 'reject',
  TIMEOUT = 'timeout',
}

export enum DecidedBy {
  HUMAN = 'human',
  TIMER = 'timer',
  POLICY = 'policy',
}

/** What happens when a gate's deadline passes (DESIGN section 5). */
export enum TimeoutAction {
  ESCALATE = 'escalate',
  REJECT = 'reject',
  APPROVE = 'approve',
}

/** Outcomes recorded in the append-only `ui:<g>:audit` trail. */
export enum AuditOutcome {
  OPENED = 'opened',
  ACCEPTED = 'accepted',
  DUPLICATE = 'duplicate',
  CONFLICT = 'conflict',
  LATE = 'late',
  TIMED_OUT = 'timed_out',
  ESCALATED = 'escalated',
  CANCELLED = 'cancelled',
  REJECTED_MESSAGE = 'rejected_message',
  /** A reply refused by the gate's policy (ROLE_NOT_ALLOWED, SELF_APPROVAL): audited once per dedupe key. */
  DENIED = 'denied',
}

/** The origin and dedupe key of a decision the policy made without a human (low-risk auto-approve). */
export const POLICY_ORIGIN = 'policy';

/** Where a reply came from. */
export enum ReplyOrigin {
  REST = 'rest',
  BRIDGE = 'bridge',
  WEBHOOK = 'webhook',
  JETSTREAM = 'jetstream',
}

export const eventKeys = {
  prompt: (g: string) => `ui:${g}`,
  result: (g: string) => `ui:${g}:result`,
  decision: (g: string) => `decision:${g}`,
  audit: (g: string) => `ui:${g}:audit`,
};

export const topics = {
  human: (g: string) => `human:${g}`,
  sys: (k: string) => `sys:${k}`,
};

/** `human:<g>` for run `<wid>` is subject `human.<wid>.<g>`; `sys:<k>` is `sys.<k>` with dots for colons. */
export const topicSubjects = {
  human: (wid: string, g: string) => `human.${wid}.${g}`,
  sys: (k: string) => `sys.${k.replace(/:/g, '.')}`,
};

/** The choices of a gate's prompt; each maps to the decision it records. */
export interface GateChoice {
  value: string;
  label: string;
  decision: Decision.APPROVE | Decision.REJECT;
}

export const PLAN_GATE_CHOICES: GateChoice[] = [
  { value: 'yes', label: 'Approve the plan', decision: Decision.APPROVE },
  { value: 'no', label: 'Reject the plan', decision: Decision.REJECT },
];

/** One level of an escalation chain: the approver group that gets the successor gate, and its deadline. */
export interface EscalationStep {
  group: string;
  timeoutS: number;
}

export interface GatePolicy {
  timeoutS: number;
  timeoutAction: TimeoutAction;
  /**
   * The levels still ahead of this gate, in order: at its deadline an `escalate` gate opens a successor
   * for the first entry, whose own policy is the rest of the chain. Empty means no escalation target.
   */
  escalationChain: EscalationStep[];
  requireRationale: boolean;
}

/**
 * The key of the successor gate at escalation `level` (1, 2, ...) of the chain rooted at `rootGateKey`:
 * `approve-plan` escalates to `approve-plan-e1`, then `approve-plan-e2`.
 */
export function successorGateKey(rootGateKey: string, level: number): string {
  return `${rootGateKey}-e${level}`;
}

/** Where a successor gate sits in its escalation chain (in its prompt). */
export interface GateEscalationInfo {
  /** The gate the chain started from (`approve-plan`). */
  rootGateKey: string;
  /** The gate whose deadline passed and opened this one. */
  fromGateKey: string;
  /** 1 for the first successor. */
  level: number;
  /** The approver group asked to decide. */
  group: string;
}
