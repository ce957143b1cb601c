/**
 * The SQL oracle of DESIGN section 7: each check is a query whose result must be empty.
 * Kept as plain SQL so an operator can paste any of them into psql.
 */
export const ORACLE_CHECKS: Record<string, string> = {
  duplicateRunSteps: `
    SELECT run_id, step_id, attempt, count(*)::int AS n FROM runs.run_steps
    GROUP BY run_id, step_id, attempt HAVING count(*) > 1`,
  duplicateArtifacts: `
    SELECT run_id, step_id, task_key, attempt, idx, count(*)::int AS n FROM runs.artifacts
    GROUP BY run_id, step_id, task_key, attempt, idx HAVING count(*) > 1`,
  duplicateInteractions: `
    SELECT workflow_id, gate_key, topic, dedupe_key, count(*)::int AS n FROM gates.human_interactions
    GROUP BY workflow_id, gate_key, topic, dedupe_key HAVING count(*) > 1`,
  repeatedPromptOrDecisionEvents: `
    SELECT workflow_id, key, count(*)::int AS n FROM gates.workflow_events
    WHERE key ~ '^ui:[a-z0-9][a-z0-9-]*$' OR key ~ '^decision:' OR key ~ '^ui:[a-z0-9][a-z0-9-]*:result$'
    GROUP BY workflow_id, key HAVING count(*) > 1`,
  malformedPayloadHashes: `
    SELECT id, workflow_id, gate_key, payload_hash FROM gates.human_interactions
    WHERE payload_hash !~ '^[a-f0-9]{64}$'`,
  receivedGatesWithoutResult: `
    SELECT g.workflow_id, g.gate_key FROM gates.gates g
    WHERE g.state = 'RECEIVED' AND NOT EXISTS (
      SELECT 1 FROM gates.workflow_events e
      WHERE e.workflow_id = g.workflow_id AND e.key = 'ui:' || g.gate_key || ':result')`,
  terminalRunsWithPendingGates: `
    SELECT r.id AS run_id, r.status, g.gate_key FROM runs.runs r
    JOIN gates.gates g ON g.workflow_id = r.id
    WHERE r.status IN ('SUCCESS', 'ERROR', 'CANCELLED', 'MAX_RECOVERY_ATTEMPTS_EXCEEDED') AND g.state = 'PENDING'`,
  /**
   * A run went past its plan gate (a step after CompileST that succeeded or is running, or SUCCESS)
   * although the gates service recorded no approve decision anywhere on the plan gate's chain
   * (approve-plan and its escalation successors; approve by human, timer or policy all count). What a
   * forged gate-decided event on the bus leaves behind. A step that only FAILED passed nothing: the
   * runs service refusing an unapproved ApplyPatchST records exactly that.
   */
  runsPassedGateWithoutApproval: `
    SELECT r.id AS run_id, r.status, r.last_step FROM runs.runs r
    WHERE (r.status = 'SUCCESS'
           OR EXISTS (SELECT 1 FROM runs.run_steps s WHERE s.run_id = r.id AND s.step_id <> 'CompileST'
                      AND s.status IN ('SUCCEEDED', 'RUNNING')))
      AND NOT EXISTS (
        SELECT 1 FROM gates.gates g
        JOIN gates.workflow_events e ON e.workflow_id = g.workflow_id AND e.key = 'decision:' || g.gate_key
        WHERE g.workflow_id = r.id AND COALESCE(g.root_gate_key, g.gate_key) = 'approve-plan'
          AND e.value->>'decision' = 'approve')`,
  /**
   * DESIGN section 11. A human `approve` decision without its quorum: fewer distinct approvers of the
   * decided plan version than the gate required (the votes table holds one row per principal and version).
   */
  approvalsWithoutQuorum: `
    SELECT g.workflow_id, g.gate_key, g.required_approvals, count(DISTINCT v.actor)::int AS approvals
    FROM gates.gates g
    JOIN gates.workflow_events e ON e.workflow_id = g.workflow_id AND e.key = 'decision:' || g.gate_key
    LEFT JOIN gates.gate_votes v ON v.workflow_id = g.workflow_id AND v.gate_key = g.gate_key
      AND v.plan_hash = e.value->>'planHash' AND v.decision = 'approve'
    WHERE e.value->>'by' = 'human' AND e.value->>'decision' = 'approve'
    GROUP BY g.workflow_id, g.gate_key, g.required_approvals
    HAVING count(DISTINCT v.actor) < g.required_approvals`,
  /**
   * An approval counted for a plan version other than the decided one: in the decision's vote list, or a
   * run that went past ApplyPatchST with a plan other than the version its gate approved.
   */
  approvalsOfAnotherPlanVersion: `
    SELECT e.workflow_id, e.key, v->>'actor' AS actor, v->>'planHash' AS vote_plan_hash,
           e.value->>'planHash' AS decided_plan_hash
    FROM gates.workflow_events e CROSS JOIN LATERAL jsonb_array_elements(e.value->'votes') v
    WHERE e.key LIKE 'decision:%' AND jsonb_typeof(e.value->'votes') = 'array'
      AND v->>'decision' = 'approve' AND v->>'planHash' IS DISTINCT FROM e.value->>'planHash'
    UNION ALL
    SELECT r.id, e.key, NULL, r.plan_hash, e.value->>'planHash'
    FROM runs.runs r
    JOIN gates.gates g ON g.workflow_id = r.id AND COALESCE(g.root_gate_key, g.gate_key) = 'approve-plan'
    JOIN gates.workflow_events e ON e.workflow_id = g.workflow_id AND e.key = 'decision:' || g.gate_key
    WHERE e.value->>'decision' = 'approve' AND e.value ? 'planHash'
      AND EXISTS (SELECT 1 FROM runs.run_steps s WHERE s.run_id = r.id AND s.step_id = 'ApplyPatchST' AND s.status = 'SUCCEEDED')
      AND r.plan_hash IS DISTINCT FROM e.value->>'planHash'`,
  /** The principal who started the run approved its gate although the policy did not allow it. */
  selfApprovals: `
    SELECT v.workflow_id, v.gate_key, v.actor FROM gates.gate_votes v
    JOIN gates.gates g ON g.workflow_id = v.workflow_id AND g.gate_key = v.gate_key
    WHERE v.decision = 'approve' AND v.actor = g.requested_by AND v.actor <> 'anonymous'
      AND NOT g.self_approval_allowed`,
  timersFiredTwice: `
    SELECT workflow_id, gate_key, count(*)::int AS n FROM escalation.escalations
    GROUP BY workflow_id, gate_key HAVING count(*) > 1`,
};

/** Facts worth printing beside the verdict; they do not fail the oracle. */
export const ORACLE_FACTS: Record<string, string> = {
  runsByStatus: `SELECT status, count(*)::int AS n FROM runs.runs GROUP BY status ORDER BY status`,
  gatesByState: `SELECT state, count(*)::int AS n FROM gates.gates GROUP BY state ORDER BY state`,
  interactions: `SELECT count(*)::int AS n FROM gates.human_interactions`,
  deadLetters: `
    SELECT 'runs' AS schema, consumer, msg_id, subject, deliveries, created_at FROM runs.dead_letters
    UNION ALL SELECT 'gates', consumer, msg_id, subject, deliveries, created_at FROM gates.dead_letters
    UNION ALL SELECT 'escalation', consumer, msg_id, subject, deliveries, created_at FROM escalation.dead_letters`,
  /** Fair-queue work not yet settled, by queue: waiting for its share, and released (in flight). */
  workQueue: `
    SELECT queue, count(*) FILTER (WHERE released_at IS NULL)::int AS waiting,
           count(*) FILTER (WHERE released_at IS NOT NULL)::int AS in_flight
    FROM runs.work_queue GROUP BY queue ORDER BY queue`,
  unpublishedOutbox: `
    SELECT 'runs' AS schema, count(*)::int AS n FROM runs.outbox WHERE published_at IS NULL
    UNION ALL SELECT 'gates', count(*)::int FROM gates.outbox WHERE published_at IS NULL
    UNION ALL SELECT 'escalation', count(*)::int FROM escalation.outbox WHERE published_at IS NULL`,
};
