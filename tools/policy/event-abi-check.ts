import { EVENT_VALUE_SCHEMAS, eventKeyKind, type EventKeyKind } from '@gatehouse/contracts';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { Client } from 'pg';
import { inSnapshot } from './lane-database';

/** Rows read per query: the check streams the table by id rather than holding it in memory. */
const PAGE = 2000;
/** Invalid rows listed in the report (all are counted). */
const LISTED = 100;

export interface InvalidEvent {
  id: string;
  workflowId: string;
  key: string;
  errors: string[];
}

export interface EventAbiReport {
  ok: boolean;
  checked: Record<EventKeyKind, number>;
  invalidCount: number;
  invalid: InvalidEvent[];
  /** Keys outside the ABI are not validated here: `policy:hitl-abi` fails them. */
  foreignKeysSkipped: number;
}

export function eventValidators(): Record<EventKeyKind, ValidateFunction> {
  // strictRequired off: the audit schema's conditional `required` names properties its parent declares.
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, strictRequired: false });
  addFormats(ajv);
  return Object.fromEntries(
    Object.entries(EVENT_VALUE_SCHEMAS).map(([kind, schema]) => [kind, ajv.compile(schema)]),
  ) as Record<EventKeyKind, ValidateFunction>;
}

/** Why one stored value breaks its key's schema ([] when it does not). */
export function judgeEvent(
  validators: Record<EventKeyKind, ValidateFunction>,
  kind: EventKeyKind,
  key: string,
  value: unknown,
): string[] {
  const validate = validators[kind];
  const errors = validate(value)
    ? []
    : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
  // A prompt names its own gate.
  const gateKey = key.split(':')[1];
  if (kind === 'prompt' && errors.length === 0 && (value as { gateKey: string }).gateKey !== gateKey) {
    errors.push(`/gateKey is not the key's gate "${gateKey}"`);
  }
  return errors;
}

export async function checkEventValues(client: Client): Promise<EventAbiReport> {
  const validators = eventValidators();
  const checked: Record<EventKeyKind, number> = { prompt: 0, result: 0, decision: 0, audit: 0 };
  const invalid: InvalidEvent[] = [];
  let invalidCount = 0;
  let foreignKeysSkipped = 0;
  let after = '0';
  for (;;) {
    const rows = (
      await client.query<{ id: string; workflow_id: string; key: string; value: unknown }>(
        `SELECT id::text, workflow_id, key, value FROM gates.workflow_events WHERE id > $1::bigint ORDER BY id LIMIT ${PAGE}`,
        [after],
      )
    ).rows;
    for (const row of rows) {
      const kind = eventKeyKind(row.key);
      if (!kind) {
        foreignKeysSkipped++;
        continue;
      }
      checked[kind]++;
      const errors = judgeEvent(validators, kind, row.key, row.value);
      if (errors.length === 0) continue;
      invalidCount++;
      if (invalid.length < LISTED) invalid.push({ id: row.id, workflowId: row.workflow_id, key: row.key, errors });
    }
    if (rows.length < PAGE) break;
    after = rows[rows.length - 1].id;
  }
  return { ok: invalidCount === 0, checked, invalidCount, invalid, foreignKeysSkipped };
}

export function runEventAbiCheck(databaseUrl: string): Promise<EventAbiReport> {
  return inSnapshot(databaseUrl, 'gatehouse-policy-event-abi', checkEventValues);
}
