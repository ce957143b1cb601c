import { Injectable } from '@nestjs/common';
import type { GateState, InboxItem, InboxPosition, InboxQuery, RiskLevel } from '@gatehouse/contracts';
import { queryRows, type Db } from '@gatehouse/persistence';
import { eligibleSql } from '../gates/gate-eligibility';
import { iso } from '../shared/time';

interface RawInboxRow {
  workflow_id: string;
  gate_key: string;
  state: GateState;
  title: string | null;
  risk_level: RiskLevel;
  approval_count: number;
  required_approvals: number;
  deadline_at: Date;
  /** deadline_at in UTC with microseconds: the cursor must not lose the precision JS dates lack. */
  deadline_key: string;
  opened_at: Date;
  recipe_name: string;
  run_goal: string | null;
  run_partition: string | null;
  requested_by: string | null;
  run_status: string | null;
}

export interface InboxRow {
  item: InboxItem;
  position: InboxPosition;
}

/**
 * The inbox query: gates across runs in keyset order (deadline, run, gate), served by the indexes of
 * migration 1763700004000 (docs/performance.md has the plans). Reads only the gates schema: the run's
 * summary travelled with the gate request, and a finished run's status is in gates.finished_runs.
 */
@Injectable()
export class InboxRepository {
  async page(db: Db, q: InboxQuery, after: InboxPosition | undefined, take: number): Promise<InboxRow[]> {
    const params: unknown[] = [q.state];
    const where = ['g.state = $1'];
    const add = (sql: (n: number) => string, value: unknown) => {
      params.push(value);
      where.push(sql(params.length));
    };
    if (q.recipe !== undefined) add((n) => `g.recipe_name = $${n}`, q.recipe);
    if (q.riskLevel !== undefined) add((n) => `g.risk_level = $${n}`, q.riskLevel);
    if (q.partition !== undefined) add((n) => `g.run_partition = $${n}`, q.partition);
    if (q.olderThanS !== undefined) add((n) => `g.opened_at <= now() - make_interval(secs => $${n})`, q.olderThanS);
    if (q.decider !== undefined) where.push(eligibleSql(q.decider, params));
    if (after !== undefined) {
      params.push(after.deadlineAt, after.workflowId, after.gateKey);
      const n = params.length;
      where.push(`(g.deadline_at, g.workflow_id, g.gate_key) > ($${n - 2}::timestamptz, $${n - 1}::uuid, $${n}::text)`);
    }
    params.push(take);
    const rows = await queryRows<RawInboxRow>(
      db,
      `SELECT g.workflow_id, g.gate_key, g.state, g.title, g.risk_level, g.approval_count, g.required_approvals,
              g.deadline_at, to_char(g.deadline_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS deadline_key,
              g.opened_at, g.recipe_name, g.run_goal, g.run_partition, g.requested_by, f.status AS run_status
       FROM gates.gates g
       LEFT JOIN gates.finished_runs f ON f.workflow_id = g.workflow_id
       WHERE ${where.join(' AND ')}
       ORDER BY g.deadline_at, g.workflow_id, g.gate_key
       LIMIT $${params.length}`,
      params,
      // Each call plans with its values: a generic plan of a named statement could not use the partial
      // indexes (their predicate is state = 'PENDING', not state = $1).
      { prepare: false },
    );
    return rows.map((r) => ({
      item: {
        workflowId: r.workflow_id,
        gateKey: r.gate_key,
        state: r.state,
        title: r.title,
        riskLevel: r.risk_level,
        approvals: { count: r.approval_count, required: r.required_approvals },
        deadlineAt: iso(r.deadline_at),
        openedAt: iso(r.opened_at),
        run: {
          goal: r.run_goal,
          recipe: r.recipe_name,
          partition: r.run_partition,
          requestedBy: r.requested_by,
          status: r.run_status ?? 'PENDING',
        },
      },
      position: { deadlineAt: r.deadline_key, workflowId: r.workflow_id, gateKey: r.gate_key },
    }));
  }
}
