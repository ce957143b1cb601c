import { EVENT_KEY_PATTERNS, TOPIC_PATTERNS } from '@gatehouse/contracts';
import type { Client } from 'pg';
import { inSnapshot } from './lane-database';

const anyEventKey = Object.values(EVENT_KEY_PATTERNS);
const anyTopic = Object.values(TOPIC_PATTERNS);

/**
 * The database half of `policy:hitl-abi`: each query names rows that break the frozen ABI, and must
 * return none. The patterns are parameters taken from libs/contracts: $1 the event keys for the event
 * checks; $1 the topics and $2 the human topic for the topic checks.
 */
export const ABI_DB_CHECKS: Record<string, { sql: string; params: unknown[] }> = {
  /** An event key that is none of ui:<g>, ui:<g>:result, decision:<g>, ui:<g>:audit. */
  foreignEventKeys: {
    sql: `SELECT id::text, workflow_id, key FROM gates.workflow_events
          WHERE NOT key ~ ANY($1::text[]) ORDER BY id LIMIT 100`,
    params: [anyEventKey],
  },
  /** A well-formed key whose gate does not exist for that run. */
  eventsWithoutGate: {
    sql: `SELECT e.id::text, e.workflow_id, e.key FROM gates.workflow_events e
          WHERE e.key ~ ANY($1::text[]) AND NOT EXISTS (
            SELECT 1 FROM gates.gates g
            WHERE g.workflow_id = e.workflow_id AND g.gate_key = split_part(e.key, ':', 2))
          ORDER BY e.id LIMIT 100`,
    params: [anyEventKey],
  },
  /** A gate's topic that is neither human:<g> nor sys:<k>, or a human topic naming another gate. */
  foreignGateTopics: {
    sql: `SELECT workflow_id, gate_key, topic FROM gates.gates
          WHERE NOT topic ~ ANY($1::text[]) OR (topic ~ $2 AND split_part(topic, ':', 2) <> gate_key)
          ORDER BY workflow_id, gate_key LIMIT 100`,
    params: [anyTopic, TOPIC_PATTERNS.human],
  },
  /** The same for the interaction ledger. */
  foreignInteractionTopics: {
    sql: `SELECT id::text, workflow_id, gate_key, topic FROM gates.human_interactions
          WHERE NOT topic ~ ANY($1::text[]) OR (topic ~ $2 AND split_part(topic, ':', 2) <> gate_key)
          ORDER BY id LIMIT 100`,
    params: [anyTopic, TOPIC_PATTERNS.human],
  },
};

export interface AbiDbReport {
  ok: boolean;
  eventRows: number;
  eventKeysByKind: Record<string, number>;
  violations: Record<string, unknown[]>;
}

export async function checkAbiDatabase(client: Client): Promise<AbiDbReport> {
  const violations: Record<string, unknown[]> = {};
  for (const [name, check] of Object.entries(ABI_DB_CHECKS)) {
    violations[name] = (await client.query(check.sql, check.params)).rows;
  }
  const kinds = Object.entries(EVENT_KEY_PATTERNS);
  const counts = (
    await client.query<Record<string, number>>(
      `SELECT count(*)::int AS total, ${kinds.map((_, i) => `count(*) FILTER (WHERE key ~ $${i + 1})::int AS k${i}`).join(', ')}
       FROM gates.workflow_events`,
      kinds.map(([, p]) => p),
    )
  ).rows[0];
  return {
    ok: Object.values(violations).every((rows) => rows.length === 0),
    eventRows: counts.total,
    eventKeysByKind: Object.fromEntries(kinds.map(([kind], i) => [kind, counts[`k${i}`]])),
    violations,
  };
}

export function runAbiDatabaseCheck(databaseUrl: string): Promise<AbiDbReport> {
  return inSnapshot(databaseUrl, 'gatehouse-policy-abi', checkAbiDatabase);
}
