import type { ReferenceObject, SchemaObject } from '@nestjs/swagger';
import {
  AttemptOutcome,
  DeliveryStatus,
  WEBHOOK_EVENT_TYPES,
  DecidedBy,
  Decision,
  EscalationStatus,
  GateState,
  NextAction,
  RISK_LEVELS,
  RunStatus,
  StepId,
  TimeoutAction,
} from '@gatehouse/contracts';

/** Where the document keeps its named schemas. */
export const SCHEMA_REF_PREFIX = '#/components/schemas/';

export const ref = (name: string): ReferenceObject => ({ $ref: `${SCHEMA_REF_PREFIX}${name}` });

type Schema = SchemaObject | ReferenceObject;

const str: SchemaObject = { type: 'string' };
const time: SchemaObject = { type: 'string', format: 'date-time' };
const int: SchemaObject = { type: 'integer' };
const bool: SchemaObject = { type: 'boolean' };
const values = (e: Record<string, string>): SchemaObject => ({ type: 'string', enum: Object.values(e) });
/** OpenAPI 3.1 (JSON Schema 2020-12): null is a type, not a flag. */
function nullable(s: Schema): SchemaObject {
  if ('$ref' in s || !s.type) return { anyOf: [s, { type: 'null' }] };
  return { ...s, type: [s.type as string, 'null'], ...(s.enum ? { enum: [...s.enum, null] } : {}) };
}

/** An object whose listed properties are all present (`optional` ones may be left out). */
function object(properties: Record<string, Schema>, optional: string[] = [], description?: string): SchemaObject {
  const required = Object.keys(properties).filter((k) => !optional.includes(k));
  return { type: 'object', ...(description ? { description } : {}), required, properties };
}

/**
 * The gateway's answers, written against the interfaces in libs/contracts (which TypeScript erases,
 * so nothing can derive these at run time). The e2e suite checks every answer it receives against
 * them, which is what keeps them true. Objects stay open: a client must ignore fields it does not
 * know, so the gateway may add some.
 */
export const VIEW_SCHEMAS: Record<string, SchemaObject> = {
  ErrorBody: object(
    {
      error: { type: 'string', description: 'A stable code from docs/errors.md' },
      message: str,
      details: { description: 'VALIDATION_FAILED: the failing fields' },
    },
    ['details'],
  ),
  IntentCreated: object({ intentId: { type: 'string', format: 'uuid' } }),
  RunAccepted: object({ workflowID: { type: 'string', format: 'uuid', description: 'Equal to the intent id' } }),
  RunError: object({ code: str, message: str, gateKey: str, rationale: str, stepId: str }, [
    'gateKey',
    'rationale',
    'stepId',
  ]),
  RunView: object({
    workflowID: { type: 'string', format: 'uuid' },
    intentId: { type: 'string', format: 'uuid' },
    status: values(RunStatus),
    nextAction: values(NextAction),
    lastStep: nullable(values(StepId)),
    error: nullable(ref('RunError')),
    retryCount: int,
    queueName: str,
    queuePartitionKey: str,
    recipeName: str,
    workload: object({ concurrency: int, steps: int, sandboxMinutes: { type: 'number' } }),
    tasks: object({ total: int, dispatched: int, done: int }),
    requestedBy: nullable({ type: 'string', description: 'The principal who started the run' }),
    paused: { type: 'boolean', description: 'A paused run finishes the step in flight, then holds until resumed' },
    pausedBy: nullable({ type: 'string', description: 'Who paused it' }),
    pausedReason: nullable(str),
    pausedAt: nullable(time),
    createdAt: time,
    updatedAt: time,
  }),
  GateSummary: object({
    gateKey: str,
    rootGateKey: { type: 'string', description: 'The gate its escalation chain started from' },
    escalationLevel: int,
    state: values(GateState),
    topic: { type: 'string', description: '`human:<gateKey>`' },
    deadlineAt: time,
    openedAt: time,
    closedAt: nullable(time),
    riskLevel: { type: 'string', enum: [...RISK_LEVELS], description: 'The highest level that applies (policy)' },
    requiredApprovals: { type: 'integer', minimum: 1, description: 'Distinct approvals that decide approve' },
    approvalCount: { type: 'integer', minimum: 0, description: 'Approvals of the current plan version so far' },
    planHash: nullable({ type: 'string', pattern: '^[a-f0-9]{64}$', description: 'The plan version decided on' }),
  }),
  GateList: { type: 'array', items: ref('GateSummary') },
  InboxItem: object({
    workflowId: { type: 'string', format: 'uuid' },
    gateKey: str,
    state: values(GateState),
    title: nullable({ type: 'string', description: "The prompt's title" }),
    riskLevel: { type: 'string', enum: [...RISK_LEVELS] },
    approvals: object({ count: int, required: int }, [], 'Approvals that count so far, and how many decide approve'),
    deadlineAt: time,
    openedAt: time,
    run: object(
      {
        goal: nullable(str),
        recipe: str,
        partition: nullable(str),
        requestedBy: nullable(str),
        status: { type: 'string', description: 'PENDING until the run ends, then its terminal status' },
      },
      [],
      "The run's summary, as its gate request carried it",
    ),
  }),
  InboxPage: object({
    items: { type: 'array', items: ref('InboxItem') },
    nextCursor: nullable({ type: 'string', description: 'Pass as `cursor` for the next page; null on the last' }),
  }),
  RunControlResult: object({
    workflowID: { type: 'string', format: 'uuid' },
    action: { type: 'string', enum: ['pause', 'resume', 'cancel'] },
    changed: { type: 'boolean', description: 'false: the run already was in that state (an idempotent repeat)' },
    status: values(RunStatus),
    paused: bool,
  }),
  GateChoice: object({
    value: str,
    label: str,
    decision: { type: 'string', enum: [Decision.APPROVE, Decision.REJECT] },
  }),
  GatePolicy: object({
    timeoutS: int,
    timeoutAction: values(TimeoutAction),
    escalationChain: { type: 'array', items: object({ group: str, timeoutS: int }) },
    requireRationale: bool,
  }),
  GatePrompt: object(
    {
      schemaVersion: int,
      gateKey: str,
      title: str,
      plan: { description: 'The plan the approver is asked about' },
      planHash: { type: 'string', pattern: '^[a-f0-9]{64}$' },
      choices: { type: 'array', items: ref('GateChoice') },
      deadlineAt: time,
      policy: ref('GatePolicy'),
      escalation: object({ rootGateKey: str, fromGateKey: str, level: int, group: str }),
      risk: ref('GateRisk'),
    },
    ['escalation', 'risk'],
    'The prompt stored under `ui:<gateKey>`',
  ),
  GateResult: object(
    {
      choice: str,
      rationale: nullable(str),
      dedupeKey: str,
      origin: str,
      actor: nullable(str),
      onBehalfOf: nullable(str),
      payloadHash: { type: 'string', pattern: '^[a-f0-9]{64}$' },
      planHash: { type: 'string', pattern: '^[a-f0-9]{64}$', description: 'The plan version decided on' },
      votes: { type: 'array', items: ref('GateVote'), description: 'Every vote that counted, the deciding one last' },
      at: time,
    },
    ['onBehalfOf', 'planHash', 'votes'],
    'The deciding reply, stored under `ui:<gateKey>:result`',
  ),
  GateDecision: object(
    {
      decision: values(Decision),
      by: values(DecidedBy),
      planHash: { type: 'string', pattern: '^[a-f0-9]{64}$', description: 'The approved plan version' },
      votes: { type: 'array', items: ref('GateVote') },
      at: time,
    },
    ['planHash', 'votes'],
    'The decision, stored under `decision:<gateKey>`',
  ),
  GateVote: object(
    {
      actor: { type: 'string', description: 'The principal who voted' },
      choice: str,
      decision: { type: 'string', enum: [Decision.APPROVE, Decision.REJECT] },
      dedupeKey: str,
      origin: str,
      planHash: { type: 'string', pattern: '^[a-f0-9]{64}$', description: 'The plan version the vote counts for' },
      at: time,
    },
    [],
    'One vote on a gate (section 11 of the design: quorum)',
  ),
  GateRisk: object(
    {
      level: { type: 'string', enum: [...RISK_LEVELS] },
      reasons: { type: 'array', items: str, description: "The recipe's level and every risk rule that matched" },
      requiredApprovals: { type: 'integer', minimum: 1 },
      roles: nullable({ type: 'array', items: str, description: 'Roles allowed to decide; null: any' }),
      requireRationale: bool,
      requirePlanHash: bool,
      allowSelfApproval: bool,
      autoApprove: bool,
    },
    [],
    "The gate's risk level, why, and what it asks of a reply",
  ),
  EscalationSummary: object({
    id: { type: 'string', description: '`esc:<workflowId>:<gateKey>`' },
    status: values(EscalationStatus),
    action: values(TimeoutAction),
    createdAt: time,
    detail: { type: 'object' },
  }),
  GateDetail: {
    allOf: [
      ref('GateSummary'),
      object({
        approvals: {
          type: 'array',
          items: ref('GateVote'),
          description: 'The votes that count: of the current plan version, or those the decision lists',
        },
        prompt: ref('GatePrompt'),
        result: nullable(ref('GateResult')),
        decision: nullable(ref('GateDecision')),
        escalation: nullable(ref('EscalationSummary')),
      }),
    ],
  },
  GateAuditEntry: object(
    {
      outcome: str,
      dedupeKey: str,
      origin: str,
      actor: nullable(str),
      onBehalfOf: nullable(str),
      payloadHash: str,
      topic: str,
      at: time,
      detail: { type: 'object' },
    },
    ['dedupeKey', 'origin', 'actor', 'onBehalfOf', 'payloadHash', 'topic', 'detail'],
    'One entry of the append-only `ui:<gateKey>:audit` trail',
  ),
  GateLedgerRow: object(
    {
      topic: str,
      dedupeKey: str,
      payload: { type: 'object' },
      payloadHash: { type: 'string', pattern: '^[a-f0-9]{64}$' },
      origin: str,
      actor: nullable(str),
      onBehalfOf: nullable(str),
      createdAt: time,
    },
    [],
    'One row of the interaction ledger `gates.human_interactions`',
  ),
  GateHistory: object({
    workflowId: { type: 'string', format: 'uuid' },
    gateKey: str,
    audit: { type: 'array', items: ref('GateAuditEntry') },
    ledger: { type: 'array', items: ref('GateLedgerRow') },
  }),
  Principal: object(
    {
      id: str,
      kind: str,
      name: str,
      roles: { type: 'array', items: str, description: '`*` under AUTH_MODE=off: every role' },
      authMode: { type: 'string', enum: ['off', 'required'] },
    },
    [],
    'Who the request acts as',
  ),
  GateReplyResult: object({ ok: { type: 'boolean', enum: [true] }, state: values(GateState), duplicate: bool }),
  ServiceHealth: object({ ok: bool, service: str, db: bool, nats: bool, reason: str }, ['reason']),
  Health: object({
    ok: bool,
    nats: bool,
    services: object({ runs: ref('ServiceHealth'), gates: ref('ServiceHealth'), escalation: ref('ServiceHealth') }),
  }),
  Unready: { allOf: [ref('Health'), ref('ErrorBody')] },
  Live: object({ ok: { type: 'boolean', enum: [true] } }),
  ApiKeyCreated: object({
    id: { type: 'string', format: 'uuid' },
    name: str,
    roles: { type: 'array', items: str },
    key: { type: 'string', description: 'The secret, shown this once: `gatehouse_key_...`' },
  }),
  ApiKey: object({
    id: { type: 'string', format: 'uuid' },
    name: str,
    roles: { type: 'array', items: str },
    prefix: { type: 'string', description: 'The first characters of the key, to recognise it' },
    createdBy: { type: 'string', description: 'The principal who created it' },
    createdAt: time,
    lastUsedAt: nullable(time),
    revokedAt: nullable(time),
  }),
  ApiKeyList: { type: 'array', items: ref('ApiKey') },
  Webhook: object(webhookProperties()),
  WebhookWithSecret: object({
    ...webhookProperties(),
    secret: { type: 'string', description: 'The signing secret (`whsec_...`), shown this once' },
  }),
  WebhookList: { type: 'array', items: ref('Webhook') },
  WebhookAttempt: object({
    attempt: int,
    at: time,
    outcome: values(AttemptOutcome),
    responseStatus: nullable(int),
    latencyMs: int,
    error: nullable(str),
  }),
  WebhookDelivery: object({
    id: { type: 'string', description: 'The delivery id (for redeliver)' },
    webhookId: { type: 'string', description: 'The `webhook-id` header: the fact id, the same on every attempt' },
    eventType: { type: 'string', enum: [...WEBHOOK_EVENT_TYPES] },
    workflowId: str,
    status: values(DeliveryStatus),
    attempts: int,
    nextAttemptAt: nullable(time),
    lastStatusCode: nullable(int),
    lastError: nullable(str),
    createdAt: time,
    deliveredAt: nullable(time),
    attemptLog: { type: 'array', items: ref('WebhookAttempt') },
  }),
  WebhookDeliveryList: object({ items: { type: 'array', items: ref('WebhookDelivery') } }),
  RedeliverResult: object({ redelivered: { type: 'integer', description: 'Deliveries queued again' } }),
};

function webhookProperties(): Record<string, Schema> {
  return {
    id: { type: 'string', format: 'uuid' },
    url: str,
    events: { type: 'array', items: { type: 'string', enum: [...WEBHOOK_EVENT_TYPES] } },
    enabled: bool,
    disabledReason: nullable(str),
    createdBy: { type: 'string', description: 'The principal who registered it' },
    createdAt: time,
    updatedAt: time,
    previousSecretExpiresAt: nullable(time),
    deletedAt: nullable(time),
  };
}
