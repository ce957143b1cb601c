import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, scratchDir } from '../tools/test-support/paths';
import { Stack } from '../tools/test-support/stack';
import { Api, eventually } from './support/http';
import { planGateOpen, runReaches, startRun } from './support/scenario';

/**
 * The three policy lanes (`policy:hitl-abi`, `policy:hitl-event-abi`, `policy:hitl-correctness`) as
 * operators run them, against the database of the real services after replies of every kind
 * (accepted, replayed, drifted, late, rejected), timeouts, an escalation and an auto-approval: they
 * pass on that, and each fails on a violation planted in it.
 */
const POLICY = {
  deploy: {
    'approve-plan': { timeoutS: 2, timeoutAction: 'escalate', escalationChain: [{ group: 'sre', timeoutS: 2 }] },
  },
  'data-migration': { 'approve-plan': { timeoutS: 2, timeoutAction: 'approve' } },
};

describe('policy lanes (e2e)', () => {
  let stack: Stack;
  let api: Api;
  let out: string;
  const wids: Record<string, string> = {};

  const sql = <T = any>(text: string, params: unknown[] = []) => stack.db.query<T>(text, params);

  function lane(name: string): { code: number | null; output: string; evidence: any } {
    const r = spawnSync(
      process.execPath,
      [join(ROOT, 'dist', 'tools', 'policy', 'policy-cli.js'), name, '--database-url', stack.db.url, '--out-dir', out],
      { encoding: 'utf8', timeout: 60_000 },
    );
    const file = {
      abi: 'hitl-abi-report.json',
      'event-abi': 'hitl-event-abi-report.json',
      correctness: 'hitl-c7-sql-evidence.json',
    }[name]!;
    return { code: r.status, output: r.stdout + r.stderr, evidence: JSON.parse(readFileSync(join(out, file), 'utf8')) };
  }

  const reply = (wid: string, g: string, choice: string, dedupeKey: string, rationale = 'checked') =>
    api.post(`/api/runs/${wid}/gates/${g}/reply`, { payload: { choice, rationale }, dedupeKey });

  beforeAll(async () => {
    out = scratchDir('e2e', `policy-lanes-${Date.now()}`);
    const policyFile = join(out, 'gate-policy.json');
    writeFileSync(policyFile, JSON.stringify(POLICY));
    stack = await Stack.start({ name: 'policy-lanes', env: { GATE_POLICY_FILE: policyFile } });
    api = new Api(stack.baseUrl);

    wids.approved = await startRun(api);
    wids.rejected = await startRun(api);
    wids.escalated = await startRun(api, { recipeName: 'deploy' });
    wids.autoApproved = await startRun(api, { recipeName: 'data-migration' });
    await planGateOpen(api, wids.approved);
    expect((await reply(wids.approved, 'approve-plan', 'yes', 'a-1')).body).toMatchObject({ duplicate: false });
    expect((await reply(wids.approved, 'approve-plan', 'yes', 'a-1')).body).toMatchObject({ duplicate: true });
    expect((await reply(wids.approved, 'approve-plan', 'yes', 'a-1', 'drifted')).status).toBe(409);
    await planGateOpen(api, wids.rejected);
    expect((await reply(wids.rejected, 'approve-plan', 'no', 'r-1')).status).toBe(200);
    await runReaches(api, wids.approved, 'SUCCESS');
    await runReaches(api, wids.rejected, 'ERROR');
    await runReaches(api, wids.autoApproved, 'SUCCESS');
    // The plan gate times out and escalates to approve-plan-e1, which times out and rejects.
    await runReaches(api, wids.escalated, 'ERROR', 30_000);
    expect((await reply(wids.escalated, 'approve-plan', 'yes', 'late-1')).body).toMatchObject({ error: 'GATE_CLOSED' });
    await eventually(async () => {
      const [{ n }] = await sql(`SELECT count(*)::int AS n FROM gates.gates WHERE state = 'PENDING'`);
      return n === 0 ? true : undefined;
    });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  it('pass on what the services wrote, having seen every kind of event value', () => {
    for (const name of ['abi', 'event-abi', 'correctness']) {
      const r = lane(name);
      expect({ name, code: r.code, ok: r.evidence.ok }).toEqual({ name, code: 0, ok: true });
      expect(r.output).toContain(`PASS policy:${name}`);
    }
    const eventAbi = lane('event-abi').evidence;
    expect(eventAbi.checked).toEqual({
      prompt: 5, // four plan gates and one successor
      result: 2,
      decision: 5,
      audit: expect.any(Number),
    });
    expect(eventAbi.invalid).toEqual([]);
    const abi = lane('abi').evidence;
    expect(abi.source.literals).toEqual([]);
    expect(abi.database.eventKeysByKind).toEqual({ prompt: 5, result: 2, decision: 5, audit: eventAbi.checked.audit });
  });

  it('the data covered every audit outcome the services write here', async () => {
    const rows = await sql<{ outcome: string }>(
      `SELECT DISTINCT value->>'outcome' AS outcome FROM gates.workflow_events WHERE key LIKE '%:audit' ORDER BY 1`,
    );
    expect(rows.map((r) => r.outcome)).toEqual(['accepted', 'conflict', 'escalated', 'late', 'opened', 'timed_out']);
  });

  it('policy:hitl-abi fails on a foreign event key and on a foreign topic', async () => {
    const [row] = await sql(
      `INSERT INTO gates.workflow_events (workflow_id, key, value) VALUES ($1, 'ui:approve-plan:note', '{}') RETURNING id::text`,
      [wids.approved],
    );
    try {
      const r = lane('abi');
      expect(r.code).toBe(1);
      expect(r.output).toContain('FAIL policy:abi');
      expect(r.evidence.database.violations.foreignEventKeys).toEqual([
        { id: row.id, workflow_id: wids.approved, key: 'ui:approve-plan:note' },
      ]);
      // The value checker leaves foreign keys to this lane.
      expect(lane('event-abi')).toMatchObject({ code: 0, evidence: { foreignKeysSkipped: 1 } });
    } finally {
      await sql(`DELETE FROM gates.workflow_events WHERE id = $1`, [row.id]);
    }

    await sql(`UPDATE gates.human_interactions SET topic = 'human:other-gate' WHERE workflow_id = $1`, [wids.rejected]);
    try {
      const r = lane('abi');
      expect(r.code).toBe(1);
      expect(r.evidence.database.violations.foreignInteractionTopics).toEqual([
        expect.objectContaining({ workflow_id: wids.rejected, gate_key: 'approve-plan', topic: 'human:other-gate' }),
      ]);
    } finally {
      await sql(`UPDATE gates.human_interactions SET topic = 'human:approve-plan' WHERE workflow_id = $1`, [
        wids.rejected,
      ]);
    }
    expect(lane('abi').code).toBe(0);
  });

  it.each([
    [
      'decision:approve-plan',
      `jsonb_set(value, '{decision}', '"maybe"')`,
      '/decision must be equal to one of the allowed values',
    ],
    ['ui:approve-plan:result', `value - 'payloadHash'`, "/ must have required property 'payloadHash'"],
    [
      'ui:approve-plan',
      `jsonb_set(value, '{gateKey}', '"another-gate"')`,
      `/gateKey is not the key's gate "approve-plan"`,
    ],
    ['ui:approve-plan', `value || '{"extra": 1}'`, '/ must NOT have additional properties'],
    [
      'ui:approve-plan:audit',
      `value - 'dedupeKey'`,
      "/ must have required property 'dedupeKey'",
      '/ must match "then" schema',
    ],
  ])('policy:hitl-event-abi fails when %s breaks its schema (%s)', async (key, change, ...errors) => {
    // One row per key, the audit trail's `accepted` entry for ui:<g>:audit.
    const [before] = await sql(
      `SELECT id::text, value FROM gates.workflow_events WHERE workflow_id = $1 AND key = $2
       AND (audit_key IS NULL OR value->>'outcome' = 'accepted')`,
      [wids.approved, key],
    );
    await sql(`UPDATE gates.workflow_events SET value = ${change} WHERE id = $1`, [before.id]);
    try {
      const r = lane('event-abi');
      expect(r.code).toBe(1);
      expect(r.evidence.invalidCount).toBe(1);
      expect(r.evidence.invalid).toEqual([{ id: before.id, workflowId: wids.approved, key, errors }]);
    } finally {
      await sql(`UPDATE gates.workflow_events SET value = $2 WHERE id = $1`, [before.id, JSON.stringify(before.value)]);
    }
    expect(lane('event-abi').code).toBe(0);
  });

  it('policy:hitl-correctness fails on a duplicate decision key (once the database no longer forbids it)', async () => {
    await expect(
      sql(
        `INSERT INTO gates.workflow_events (workflow_id, key, value) SELECT workflow_id, key, value FROM gates.workflow_events WHERE workflow_id = $1 AND key = 'decision:approve-plan'`,
        [wids.approved],
      ),
    ).rejects.toThrow(/workflow_events_once/);
    await sql(`DROP INDEX gates.workflow_events_once`);
    await sql(
      `INSERT INTO gates.workflow_events (workflow_id, key, value) SELECT workflow_id, key, value FROM gates.workflow_events WHERE workflow_id = $1 AND key = 'decision:approve-plan'`,
      [wids.approved],
    );
    const r = lane('correctness');
    expect(r.code).toBe(1);
    expect(r.output).toContain('FAIL policy:correctness');
    expect(r.evidence.violations.repeatedPromptOrDecisionEvents).toEqual([
      { workflow_id: wids.approved, key: 'decision:approve-plan', n: 2 },
    ]);
  });
});
