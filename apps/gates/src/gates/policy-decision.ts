import { payloadHash, POLICY_ORIGIN, type ReplyPayloadDto } from '@gatehouse/contracts';
import type { ReplyCommand } from '../replies/reply-command';
import type { GateRow } from './gates.repository';

/** The dedupe key of the decision the policy makes itself (low-risk auto-approve): once per gate. */
export const POLICY_DEDUPE_KEY = 'policy:auto-approve';

/**
 * The auto-approval written in the shape of an accepted reply, so `ui:<g>:result`, the audit entry
 * and the announcement are the same facts as a human's (origin `policy`, no actor).
 */
export function policyDecisionCommand(gate: GateRow, choice: string): ReplyCommand {
  const payload: ReplyPayloadDto = { choice, rationale: `auto-approved by policy: risk level ${gate.riskLevel}` };
  return {
    workflowId: gate.workflowId,
    gateKey: gate.gateKey,
    topic: gate.topic,
    payload,
    payloadHash: payloadHash(payload),
    dedupeKey: POLICY_DEDUPE_KEY,
    origin: POLICY_ORIGIN,
    actor: null,
    onBehalfOf: null,
    actorRoles: [],
  };
}
