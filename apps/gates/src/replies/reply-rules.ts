import {
  assertUnreachable,
  ErrorCode,
  GatehouseError,
  GateState,
  type GateChoice,
  type GatePolicy,
} from '@gatehouse/contracts';

/** What the rules need to know about the gate, read under its row lock. */
export interface GateFacts {
  state: GateState;
  choices: GateChoice[];
  policy: Pick<GatePolicy, 'requireRationale'>;
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
  choice: string;
  rationale?: string | null;
}

export type ReplyVerdict =
  | { kind: 'not-found' }
  | { kind: 'invalid-choice'; allowed: string[] }
  | { kind: 'rationale-required' }
  | { kind: 'duplicate'; state: GateState }
  | { kind: 'conflict' }
  | { kind: 'late'; state: GateState }
  | { kind: 'accept'; choice: GateChoice };

/**
 * DESIGN section 3, in its order, for a reply whose shape already passed: unknown gate (404);
 * a choice outside the prompt or a missing required rationale (400); an exact replay of the
 * recorded reply (200, duplicate, even on a closed gate); the same dedupe key with another payload,
 * topic or actor (409 DEDUPE_CONFLICT: a replay must come from the principal who made the reply);
 * a gate no longer PENDING (409 GATE_CLOSED); else accepted.
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
  if (recorded) {
    const same =
      recorded.payloadHash === reply.payloadHash && recorded.topic === reply.topic && recorded.actor === reply.actor;
    return same ? { kind: 'duplicate', state: gate.state } : { kind: 'conflict' };
  }
  if (gate.state !== GateState.PENDING) return { kind: 'late', state: gate.state };
  return { kind: 'accept', choice };
}

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
      return new GatehouseError(ErrorCode.VALIDATION_FAILED, `gate ${gateKey} requires a rationale`, [
        { field: 'payload.rationale', errors: ['rationale is required by the gate policy'] },
      ]);
    case 'conflict':
      return new GatehouseError(
        ErrorCode.DEDUPE_CONFLICT,
        `dedupeKey ${dedupeKey} was already used on gate ${gateKey} with a different payload, topic or actor`,
      );
    case 'late':
      return new GatehouseError(ErrorCode.GATE_CLOSED, `gate ${gateKey} is ${v.state} and takes no new reply`);
    case 'duplicate':
    case 'accept':
      return undefined;
    default:
      return assertUnreachable(v);
  }
}
