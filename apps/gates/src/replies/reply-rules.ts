import {
  assertUnreachable,
  Decision,
  ErrorCode,
  GatehouseError,
  GateState,
  type GateChoice,
  type GatePolicy,
} from '@gatehouse/contracts';
import { ANONYMOUS } from '@gatehouse/identity';
import { eligibility } from '../gates/gate-eligibility';

/** What the rules need to know about the gate (read under its row lock, or by the fast path's snapshot). */
export interface GateFacts {
  state: GateState;
  choices: GateChoice[];
  policy: Pick<GatePolicy, 'requireRationale'>;
  /** Roles allowed to decide; null: any role. */
  allowedRoles: string[] | null;
  selfApprovalAllowed: boolean;
  requestedBy: string | null;
  requirePlanHash: boolean;
  /** The plan version the gate decides on now. */
  planHash: string | null;
}

/** The ledger row already recorded under the reply's dedupe key for this gate, if any. */
export interface RecordedReply {
  topic: string;
  payloadHash: string;
  actor: string | null;
}

export interface IncomingReply {
  topic: string;
  payloadHash: string;
  actor: string | null;
  actorRoles: readonly string[];
  choice: string;
  rationale?: string | null;
  /** The plan version the reply's author saw, if it says. */
  planHash?: string | null;
  /** The actor already has a vote on the gate's current plan version. */
  alreadyVoted: boolean;
}

export type ReplyVerdict =
  | { kind: 'not-found' }
  | { kind: 'invalid-choice'; allowed: string[] }
  | { kind: 'rationale-required' }
  | { kind: 'plan-hash-required' }
  | { kind: 'duplicate'; state: GateState }
  | { kind: 'conflict' }
  | { kind: 'late'; state: GateState }
  | { kind: 'role-not-allowed'; roles: string[] }
  | { kind: 'self-approval' }
  | { kind: 'already-voted' }
  | { kind: 'plan-changed'; planHash: string | null }
  | { kind: 'accept'; choice: GateChoice };

/** The voter a reply counts as: its principal (a reply without one is the anonymous principal). */
export const voterOf = (actor: string | null): string => actor ?? ANONYMOUS.id;

/**
 * DESIGN sections 3 and 11 ("Reply rules with identity"), in their order, for a reply whose shape
 * already passed and whose principal is known: unknown gate (404); a choice outside the prompt, a missing
 * required rationale or plan hash (400); an exact replay of the recorded reply (200, duplicate, even on a
 * closed gate); the same dedupe key with another payload, topic or actor (409 DEDUPE_CONFLICT); a gate
 * no longer PENDING (409 GATE_CLOSED); a principal without an allowed role, or the run's requester
 * approving (403); a second vote, or a vote on a plan version that is no longer current (409); else a vote.
 */
export function judgeReply(
  gate: GateFacts | undefined,
  recorded: RecordedReply | undefined,
  reply: IncomingReply,
): ReplyVerdict {
  if (!gate) return { kind: 'not-found' };
  const choice = gate.choices.find((c) => c.value === reply.choice);
  if (!choice) return { kind: 'invalid-choice', allowed: gate.choices.map((c) => c.value) };
  if (gate.policy.requireRationale && !reply.rationale?.trim()) return { kind: 'rationale-required' };
  if (gate.requirePlanHash && !reply.planHash) return { kind: 'plan-hash-required' };
  if (recorded) {
    const same =
      recorded.payloadHash === reply.payloadHash && recorded.topic === reply.topic && recorded.actor === reply.actor;
    return same ? { kind: 'duplicate', state: gate.state } : { kind: 'conflict' };
  }
  if (gate.state !== GateState.PENDING) return { kind: 'late', state: gate.state };
  // Who may decide is one rule, shared with the inbox's `mine=true` (gate-eligibility.ts). The run's
  // requester may still say no: only an approval of one's own run is refused.
  const refusal = eligibility({ id: voterOf(reply.actor), roles: reply.actorRoles }, gate);
  if (refusal === 'ROLE_NOT_ALLOWED') return { kind: 'role-not-allowed', roles: gate.allowedRoles ?? [] };
  if (refusal === 'SELF_APPROVAL' && choice.decision === Decision.APPROVE) return { kind: 'self-approval' };
  if (reply.alreadyVoted) return { kind: 'already-voted' };
  if (reply.planHash && reply.planHash !== gate.planHash) return { kind: 'plan-changed', planHash: gate.planHash };
  return { kind: 'accept', choice };
}

/** Refusals written to the gate's audit trail (once per dedupe key / distinct payload). */
export const AUDITED_VERDICTS: ReadonlySet<ReplyVerdict['kind']> = new Set([
  'conflict',
  'late',
  'role-not-allowed',
  'self-approval',
]);

/** The error a refused verdict answers with; undefined for the verdicts that answer 200. */
export function verdictError(
  v: ReplyVerdict,
  workflowId: string,
  gateKey: string,
  dedupeKey: string,
): GatehouseError | undefined {
  switch (v.kind) {
    case 'not-found':
      return new GatehouseError(ErrorCode.GATE_NOT_FOUND, `run ${workflowId} has no gate ${gateKey}`);
    case 'invalid-choice':
      return new GatehouseError(ErrorCode.INVALID_CHOICE, `choice must be one of: ${v.allowed.join(', ')}`, {
        allowed: v.allowed,
      });
    case 'rationale-required':
      return new GatehouseError(
        ErrorCode.RATIONALE_REQUIRED,
        `gate ${gateKey} requires a rationale (payload.rationale) at its risk level`,
      );
    case 'plan-hash-required':
      return new GatehouseError(
        ErrorCode.PLAN_HASH_REQUIRED,
        `gate ${gateKey} requires payload.planHash: the plan version you reviewed`,
      );
    case 'conflict':
      return new GatehouseError(
        ErrorCode.DEDUPE_CONFLICT,
        `dedupeKey ${dedupeKey} was already used on gate ${gateKey} with a different payload, topic or actor`,
      );
    case 'late':
      return new GatehouseError(ErrorCode.GATE_CLOSED, `gate ${gateKey} is ${v.state} and takes no new reply`);
    case 'role-not-allowed':
      return new GatehouseError(
        ErrorCode.ROLE_NOT_ALLOWED,
        `gate ${gateKey} may be decided only by the role(s): ${v.roles.join(', ')}`,
        { roles: v.roles },
      );
    case 'self-approval':
      return new GatehouseError(
        ErrorCode.SELF_APPROVAL,
        `the principal who started run ${workflowId} may not approve its gates`,
      );
    case 'already-voted':
      return new GatehouseError(
        ErrorCode.ALREADY_VOTED,
        `you already voted on gate ${gateKey} (one vote per principal)`,
      );
    case 'plan-changed':
      return new GatehouseError(
        ErrorCode.PLAN_CHANGED,
        `the plan of gate ${gateKey} changed: it now decides on plan ${v.planHash ?? '(unknown)'}; review it again`,
        { planHash: v.planHash },
      );
    case 'duplicate':
    case 'accept':
      return undefined;
    default:
      return assertUnreachable(v);
  }
}
