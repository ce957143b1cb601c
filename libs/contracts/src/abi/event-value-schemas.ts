import { AuditOutcome, DecidedBy, Decision, GATE_KEY_PATTERN, TimeoutAction } from './gate-abi';
import { TOPIC_PATTERNS, type EventKeyKind } from './event-patterns';
import { RISK_LEVELS } from '../gates/risk-level';

/**
 * JSON Schemas (draft-07) of the values the gates service stores under the frozen event keys
 * (DESIGN section 3), matching GatePrompt, GateResult, GateDecisionValue and GateAuditEntry.
 * `npm run policy:hitl-event-abi` validates every stored value against them; a field added to one of
 * those types belongs here too.
 */
const gateKey = { type: 'string', pattern: GATE_KEY_PATTERN.source } as const;
const instant = { type: 'string', format: 'date-time' } as const;
const sha256Hex = { type: 'string', pattern: '^[a-f0-9]{64}$' } as const;
const nullableString = { type: ['string', 'null'] } as const;

const choice = {
  type: 'object',
  additionalProperties: false,
  required: ['value', 'label', 'decision'],
  properties: {
    value: { type: 'string', minLength: 1 },
    label: { type: 'string' },
    decision: { enum: [Decision.APPROVE, Decision.REJECT] },
  },
} as const;

const policy = {
  type: 'object',
  additionalProperties: false,
  required: ['timeoutS', 'timeoutAction', 'escalationChain', 'requireRationale'],
  properties: {
    timeoutS: { type: 'integer', minimum: 1 },
    timeoutAction: { enum: Object.values(TimeoutAction) },
    escalationChain: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['group', 'timeoutS'],
        properties: { group: { type: 'string', minLength: 1 }, timeoutS: { type: 'integer', minimum: 1 } },
      },
    },
    requireRationale: { type: 'boolean' },
  },
} as const;

const vote = {
  type: 'object',
  additionalProperties: false,
  required: ['actor', 'choice', 'decision', 'dedupeKey', 'origin', 'planHash', 'at'],
  properties: {
    actor: { type: 'string', minLength: 1 },
    choice: { type: 'string', minLength: 1 },
    decision: { enum: [Decision.APPROVE, Decision.REJECT] },
    dedupeKey: { type: 'string', minLength: 1 },
    origin: { type: 'string', minLength: 1 },
    planHash: sha256Hex,
    at: instant,
  },
} as const;

const votes = { type: 'array', items: vote } as const;

const risk = {
  type: 'object',
  additionalProperties: false,
  required: [
    'level',
    'reasons',
    'requiredApprovals',
    'roles',
    'requireRationale',
    'requirePlanHash',
    'allowSelfApproval',
    'autoApprove',
  ],
  properties: {
    level: { enum: [...RISK_LEVELS] },
    reasons: { type: 'array', items: { type: 'string' } },
    requiredApprovals: { type: 'integer', minimum: 1 },
    roles: { type: ['array', 'null'], items: { type: 'string', minLength: 1 } },
    requireRationale: { type: 'boolean' },
    requirePlanHash: { type: 'boolean' },
    allowSelfApproval: { type: 'boolean' },
    autoApprove: { type: 'boolean' },
  },
} as const;

/** `ui:<g>`: the prompt, written once when the gate opens. */
export const GATE_PROMPT_SCHEMA = {
  $id: 'gatehouse:event:ui',
  type: 'object',
  additionalProperties: false,
  required: ['schemaVersion', 'gateKey', 'title', 'plan', 'planHash', 'choices', 'deadlineAt', 'policy'],
  properties: {
    schemaVersion: { type: 'integer', minimum: 1 },
    gateKey,
    title: { type: 'string' },
    plan: {},
    planHash: sha256Hex,
    choices: { type: 'array', minItems: 1, items: choice },
    deadlineAt: instant,
    policy,
    escalation: {
      type: 'object',
      additionalProperties: false,
      required: ['rootGateKey', 'fromGateKey', 'level', 'group'],
      properties: {
        rootGateKey: gateKey,
        fromGateKey: gateKey,
        level: { type: 'integer', minimum: 1 },
        group: { type: 'string', minLength: 1 },
      },
    },
    risk,
  },
} as const;

/** `ui:<g>:result`: the accepted reply, written once. */
export const GATE_RESULT_SCHEMA = {
  $id: 'gatehouse:event:ui-result',
  type: 'object',
  additionalProperties: false,
  required: ['choice', 'rationale', 'dedupeKey', 'origin', 'actor', 'payloadHash', 'at'],
  properties: {
    choice: { type: 'string', minLength: 1 },
    rationale: nullableString,
    dedupeKey: { type: 'string', minLength: 1 },
    // A receiver's caller names its own origin (`external`); the surfaces' own are ReplyOrigin.
    origin: { type: 'string', minLength: 1 },
    actor: nullableString,
    // The person a signed source relayed the reply for (DESIGN section 10).
    onBehalfOf: nullableString,
    payloadHash: sha256Hex,
    planHash: sha256Hex,
    votes,
    at: instant,
  },
} as const;

/** `decision:<g>`: the decision, written once. */
export const GATE_DECISION_SCHEMA = {
  $id: 'gatehouse:event:decision',
  type: 'object',
  additionalProperties: false,
  required: ['decision', 'by', 'at'],
  properties: {
    decision: { enum: Object.values(Decision) },
    by: { enum: Object.values(DecidedBy) },
    planHash: sha256Hex,
    votes,
    at: instant,
  },
} as const;

/** `ui:<g>:audit`: one entry per interaction outcome, append-only. */
export const GATE_AUDIT_SCHEMA = {
  $id: 'gatehouse:event:ui-audit',
  type: 'object',
  additionalProperties: false,
  required: ['outcome', 'at'],
  properties: {
    outcome: { enum: Object.values(AuditOutcome) },
    dedupeKey: { type: 'string' },
    origin: { type: 'string' },
    actor: nullableString,
    onBehalfOf: nullableString,
    payloadHash: sha256Hex,
    topic: { type: 'string', pattern: `${TOPIC_PATTERNS.human}|${TOPIC_PATTERNS.sys}` },
    at: instant,
    detail: { type: 'object' },
  },
  allOf: [
    {
      // An entry about a reply names the reply: its dedupe key, origin, payload hash and topic.
      if: {
        properties: {
          outcome: { enum: [AuditOutcome.ACCEPTED, AuditOutcome.CONFLICT, AuditOutcome.LATE, AuditOutcome.DENIED] },
        },
      },
      then: { required: ['dedupeKey', 'origin', 'payloadHash', 'topic'] },
    },
    {
      // An entry about the gate itself, or about a refused bus message, names its topic and what happened.
      if: {
        properties: {
          outcome: {
            enum: [
              AuditOutcome.OPENED,
              AuditOutcome.TIMED_OUT,
              AuditOutcome.ESCALATED,
              AuditOutcome.CANCELLED,
              AuditOutcome.REJECTED_MESSAGE,
            ],
          },
        },
      },
      then: { required: ['topic', 'detail'] },
    },
  ],
} as const;

export const EVENT_VALUE_SCHEMAS: Record<EventKeyKind, object> = {
  prompt: GATE_PROMPT_SCHEMA,
  result: GATE_RESULT_SCHEMA,
  decision: GATE_DECISION_SCHEMA,
  audit: GATE_AUDIT_SCHEMA,
};
