import type { TestDatabase } from '../../tools/test-support/database';

/** Every table a request could write, in every schema. */
export const WRITABLE_TABLES = [
  'runs.intents',
  'runs.runs',
  'runs.run_steps',
  'runs.artifacts',
  'runs.outbox',
  'runs.work_queue',
  'runs.held_messages',
  'runs.run_control',
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

/**
 * Row counts of every writable table, to prove a rejected request wrote nothing. The escalation
 * service arms a gate's timer a moment after the gate opens: the counts are read once every pending
 * gate has its timer, so that arming is not mistaken for a write of the request under test.
 */
export async function rowCounts(db: TestDatabase, timeoutMs = 15_000): Promise<Record<string, number>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const [{ unarmed }] = await db.query<{ unarmed: number }>(
      `SELECT count(*)::int AS unarmed FROM gates.gates g
       WHERE g.state = 'PENDING'
         AND NOT EXISTS (SELECT 1 FROM escalation.timers t WHERE t.workflow_id = g.workflow_id AND t.gate_key = g.gate_key)`,
    );
    if (unarmed === 0) break;
    if (Date.now() > until) throw new Error(`${unarmed} pending gates still have no timer after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const sql = WRITABLE_TABLES.map((t) => `SELECT '${t}' AS t, count(*)::int AS n FROM ${t}`).join(' UNION ALL ');
  const rows = await db.query<{ t: string; n: number }>(sql);
  return Object.fromEntries(rows.map((r) => [r.t, r.n]));
}

/**
 * Row counts once the stack has settled: every run terminal or waiting at its plan gate, and two
 * readings a moment apart the same. Take `before` with this when earlier tests left runs going, so that
 * what a refused request wrote is not confused with a run finishing in the background.
 */
export async function settledRowCounts(db: TestDatabase, timeoutMs = 60_000): Promise<Record<string, number>> {
  const until = Date.now() + timeoutMs;
  let last = await rowCounts(db);
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const [{ moving }] = await db.query<{ moving: number }>(
      `SELECT count(*)::int AS moving FROM runs.runs
       WHERE status NOT IN ('SUCCESS', 'ERROR', 'CANCELLED', 'MAX_RECOVERY_ATTEMPTS_EXCEEDED')
         AND next_action <> 'APPROVE_PLAN'`,
    );
    const now = await rowCounts(db);
    if (moving === 0 && JSON.stringify(now) === JSON.stringify(last)) return now;
    if (Date.now() > until) throw new Error(`the stack did not settle in ${timeoutMs} ms (${moving} runs moving)`);
    last = now;
  }
}
