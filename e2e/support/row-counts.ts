import type { TestDatabase } from '../../tools/test-support/database';

/** Every table a request could write, in every schema. */
export const WRITABLE_TABLES = [
  'runs.intents',
  'runs.runs',
  'runs.run_steps',
  'runs.artifacts',
  'runs.outbox',
  'gates.gates',
  'gates.human_interactions',
  'gates.gate_votes',
  'gates.workflow_events',
  'gates.outbox',
  'gates.api_keys',
  'escalation.timers',
  'escalation.escalations',
  'escalation.outbox',
];

/** Row counts of every writable table, to prove a rejected request wrote nothing. */
export async function rowCounts(db: TestDatabase): Promise<Record<string, number>> {
  const sql = WRITABLE_TABLES.map((t) => `SELECT '${t}' AS t, count(*)::int AS n FROM ${t}`).join(' UNION ALL ');
  const rows = await db.query<{ t: string; n: number }>(sql);
  return Object.fromEntries(rows.map((r) => [r.t, r.n]));
}
