import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import {
  DecidedBy,
  Decision,
  ErrorCode,
  GateState,
  PLAN_GATE_KEY,
  payloadHash,
  rpc,
  subjects,
  type GateDecidedEvent,
  type GateRequestedEvent,
  type HealthReply,
  type JsonPatchOpDto,
  type RunUpdatedEvent,
  type RunView,
  type StartRunResult,
} from '@gatehouse/contracts';
import { STREAMS } from '@gatehouse/messaging';
import { DecideStep } from './pipeline/steps/decide.step';
import { ExecuteStep } from './pipeline/steps/execute.step';
import type { StepOutcome } from './pipeline/steps/step-outcome';
import type { RunRow } from './runs/run-row';
import { eventually, RunsHarness } from './test/runs-harness';

/**
 * The runs service in-process against a fresh database and a private nats-server. Gate decisions
 * are published on JetStream the way the gates service publishes them; every claim is checked in SQL.
 */
describe('runs service (integration)', () => {
  let h: RunsHarness;

  beforeAll(async () => {
    h = await RunsHarness.start('runs', { MAX_DELIVERIES: '3' });
  }, 60_000);

  afterAll(async () => {
    await h?.stop();
  }, 30_000);

  const WORKLOAD = { concurrency: 2, steps: 5, sandboxMinutes: 1 };

  async function createIntent(goal = 'ship the plan'): Promise<string> {
    const res = await h.call<{ intentId: string }>(rpc.runs.createIntent, {
      goal,
      inputs: { repo: 'demo', branch: 'main' },
      constraints: { maxCost: 10 },
    });
    return res.intentId;
  }

  function startRun(intentId: string, overrides: Record<string, unknown> = {}): Promise<StartRunResult> {
    return h.call<StartRunResult>(rpc.runs.startRun, {
      intentId,
      queueName: 'intentQ',
      queuePartitionKey: 'tenant-a',
      recipeName: 'agent-plan',
      workload: WORKLOAD,
      ...overrides,
    });
  }

  async function runRow(wid: string): Promise<Record<string, any>> {
    const [row] = await h.db.query(`SELECT * FROM runs.runs WHERE id = $1`, [wid]);
    return row;
  }

  /** Starts a run and waits until it waits at the plan gate; returns the gate-requested event. */
  async function runAtPlanGate(
    workload = WORKLOAD,
  ): Promise<{ wid: string; requested: GateRequestedEvent; msgId: string }> {
    const wid = await createIntent();
    expect(await startRun(wid, { workload })).toEqual({ workflowID: wid, created: true });
    await eventually(async () => (await runRow(wid))?.next_action === 'APPROVE_PLAN', `${wid} at the plan gate`);
    const stored = await eventually(
      () => h.jsm.streams.getMessage(STREAMS.events.name, { last_by_subj: subjects.gateRequested(wid, PLAN_GATE_KEY) }),
      'gate-requested on the stream',
    );
    return { wid, requested: stored.json<GateRequestedEvent>(), msgId: stored.header?.get('Nats-Msg-Id') ?? '' };
  }

  async function decide(
    wid: string,
    decision: Decision,
    extra: Partial<GateDecidedEvent> = {},
    msgId = `gate-decided:${wid}:${PLAN_GATE_KEY}`,
  ): Promise<void> {
    const event: GateDecidedEvent = {
      workflowId: wid,
      gateKey: PLAN_GATE_KEY,
      rootGateKey: PLAN_GATE_KEY,
      state: decision === Decision.TIMEOUT ? GateState.TIMED_OUT : GateState.RECEIVED,
      decision,
      by: decision === Decision.TIMEOUT ? DecidedBy.TIMER : DecidedBy.HUMAN,
      choice: decision === Decision.APPROVE ? 'yes' : decision === Decision.REJECT ? 'no' : null,
      rationale: null,
      patch: null,
      actor: 'alice',
      escalatedTo: null,
      at: new Date().toISOString(),
      ...extra,
    };
    await h.js.publish(subjects.gateDecided(wid, event.gateKey), JSON.stringify(event), { msgID: msgId });
  }

  function runReaches(wid: string, status: string, timeoutMs = 20_000): Promise<Record<string, any>> {
    return eventually(
      async () => {
        const row = await runRow(wid);
        return row?.status === status ? row : undefined;
      },
      `${wid} to reach ${status}`,
      timeoutMs,
    );
  }

  async function steps(wid: string): Promise<{ step_id: string; attempt: number; status: string }[]> {
    return h.db.query(`SELECT step_id, attempt, status FROM runs.run_steps WHERE run_id = $1 ORDER BY id`, [wid]);
  }

  /** All events on `subject`, in stream order, once the outbox is drained. */
  async function eventsOn(subject: string): Promise<RunUpdatedEvent[]> {
    await eventually(async () => {
      const [row] = await h.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM runs.outbox WHERE published_at IS NULL`,
      );
      return row.n === 0;
    }, 'outbox drained');
    const consumer = await h.js.consumers.get(STREAMS.events.name, { filter_subjects: subject });
    const events: RunUpdatedEvent[] = [];
    for (;;) {
      const m = await consumer.next({ expires: 1000 });
      if (!m) break;
      events.push(m.json<RunUpdatedEvent>());
    }
    return events;
  }

  const runUpdates = (wid: string) => eventsOn(subjects.runUpdated(wid));
  const runFinishes = (wid: string) => eventsOn(subjects.runFinished(wid));

  /** The snapshot fields of run-updated events, in order. */
  const snapshots = (events: RunUpdatedEvent[]) =>
    events.map(({ version, status, nextAction, lastStep }) => ({ version, status, nextAction, lastStep }));

  /** Per run_steps row: the transaction that inserted it (started_at is the transaction's start) and its xmin. */
  async function stepTransactions(wid: string): Promise<{ step_id: string; started_at: string; xmin: string }[]> {
    return h.db.query(
      `SELECT step_id, started_at::text AS started_at, xmin::text AS xmin FROM runs.run_steps WHERE run_id = $1 ORDER BY id`,
      [wid],
    );
  }

  /** The intentQ messages the run's steps were started by. */
  async function intentMessages(wid: string): Promise<{ outbox: string[]; inbox: string[] }> {
    const outbox = await h.db.query<{ msg_id: string }>(
      `SELECT msg_id FROM runs.outbox WHERE msg_id LIKE 'step:' || $1 || ':%' ORDER BY id`,
      [wid],
    );
    const inbox = await h.db.query<{ msg_id: string }>(
      `SELECT msg_id FROM runs.inbox WHERE consumer = 'runs-intent-q' AND msg_id LIKE '%' || $1 || '%' ORDER BY msg_id`,
      [wid],
    );
    return { outbox: outbox.map((r) => r.msg_id), inbox: inbox.map((r) => r.msg_id) };
  }

  it('answers health with db and nats', async () => {
    expect(await h.call<HealthReply>(rpc.runs.health, {})).toEqual({ ok: true, service: 'runs', db: true, nats: true });
  });

  it('carries a run through CompileST, the plan gate, a patch, DecideST and ExecuteST to SUCCESS', async () => {
    const { wid, requested, msgId } = await runAtPlanGate();
    const waiting = await runRow(wid);
    expect(waiting).toMatchObject({
      status: 'PENDING',
      next_action: 'APPROVE_PLAN',
      last_step: 'CompileST',
      queue_partition_key: 'tenant-a',
    });
    expect(await steps(wid)).toEqual([{ step_id: 'CompileST', attempt: 1, status: 'SUCCEEDED' }]);
    expect(await h.call<RunView>(rpc.runs.getRun, { workflowId: wid })).toMatchObject({
      workflowID: wid,
      intentId: wid,
      status: 'PENDING',
      nextAction: 'APPROVE_PLAN',
      lastStep: 'CompileST',
      error: null,
      queueName: 'intentQ',
      queuePartitionKey: 'tenant-a',
      recipeName: 'agent-plan',
      workload: WORKLOAD,
      tasks: { total: 5, dispatched: 0, done: 0 },
    });

    expect(msgId).toBe(`gate-requested:${wid}:approve-plan`);
    expect(requested).toMatchObject({
      workflowId: wid,
      gateKey: 'approve-plan',
      recipeName: 'agent-plan',
      planHash: waiting.plan_hash,
    });
    expect(requested.choices.map((c) => c.value)).toEqual(['yes', 'no']);
    expect(requested.plan).toEqual(waiting.plan);
    expect(requested.planHash).toBe(payloadHash(waiting.plan));
    expect(requested.title).toContain('ship the plan');

    const patch: JsonPatchOpDto[] = [{ op: 'replace', path: '/constraints/maxCost', value: 5 }];
    let maxInFlight = 0;
    await decide(wid, Decision.APPROVE, { rationale: 'fine', patch });
    const done = await eventually(async () => {
      const row = await runRow(wid);
      maxInFlight = Math.max(maxInFlight, row.tasks_dispatched - row.tasks_done);
      return row.status === 'SUCCESS' ? row : undefined;
    }, 'SUCCESS');
    expect(maxInFlight).toBeLessThanOrEqual(WORKLOAD.concurrency);

    expect(done).toMatchObject({
      last_step: 'ExecuteST',
      next_action: 'NONE',
      error: null,
      tasks_total: 5,
      tasks_dispatched: 5,
      tasks_done: 5,
    });
    expect(done.plan.constraints).toEqual({ maxCost: 5 });
    expect(done.plan_hash).toBe(payloadHash(done.plan));
    expect(done.plan_hash).not.toBe(waiting.plan_hash);
    expect(done.decision).toMatchObject({
      gateKey: 'approve-plan',
      decision: 'approve',
      by: 'human',
      choice: 'yes',
      rationale: 'fine',
      patch,
    });
    expect(await steps(wid)).toEqual([
      { step_id: 'CompileST', attempt: 1, status: 'SUCCEEDED' },
      { step_id: 'ApplyPatchST', attempt: 1, status: 'SUCCEEDED' },
      { step_id: 'DecideST', attempt: 1, status: 'SUCCEEDED' },
      { step_id: 'ExecuteST', attempt: 1, status: 'SUCCEEDED' },
    ]);
    const [decideOutput] = await h.db.query(
      `SELECT output FROM runs.run_steps WHERE run_id = $1 AND step_id = 'DecideST'`,
      [wid],
    );
    expect(decideOutput.output).toMatchObject({
      decision: 'approve',
      by: 'human',
      choice: 'yes',
      path: 'ExecuteST',
      planHash: done.plan_hash,
    });

    const artifacts = await h.db.query<{
      step_id: string;
      task_key: string;
      attempt: number;
      idx: number;
      content: any;
    }>(`SELECT step_id, task_key, attempt, idx, content FROM runs.artifacts WHERE run_id = $1 ORDER BY idx`, [wid]);
    expect(artifacts.map((a) => [a.step_id, a.task_key, a.attempt, a.idx])).toEqual(
      [0, 1, 2, 3, 4].map((i) => ['ExecuteST', `task-${i}`, 1, i]),
    );
    expect(artifacts[3].content).toMatchObject({ sandbox: 'mock', taskKey: 'task-3', idx: 3, exitCode: 0 });

    const view = await h.call<RunView>(rpc.runs.getRun, { workflowId: wid.toUpperCase() });
    expect(view).toMatchObject({
      workflowID: wid,
      status: 'SUCCESS',
      nextAction: 'NONE',
      lastStep: 'ExecuteST',
      error: null,
      tasks: { total: 5, dispatched: 5, done: 5 },
    });

    // One snapshot per transaction that changed it: start, CompileST, the decision, the three local
    // steps after it together, and the last child task.
    const updates = await runUpdates(wid);
    expect(snapshots(updates)).toEqual([
      { version: 1, status: 'ENQUEUED', nextAction: 'NONE', lastStep: null },
      { version: 2, status: 'PENDING', nextAction: 'APPROVE_PLAN', lastStep: 'CompileST' },
      { version: 3, status: 'PENDING', nextAction: 'NONE', lastStep: 'CompileST' },
      { version: 4, status: 'PENDING', nextAction: 'NONE', lastStep: 'DecideST' },
      { version: 5, status: 'SUCCESS', nextAction: 'NONE', lastStep: 'ExecuteST' },
    ]);
    expect(updates.every((u) => u.workflowID === wid)).toBe(true);
    expect(done.version).toBe(5);
    // The terminal snapshot once more, on the subject the gates service consumes.
    expect(await runFinishes(wid)).toEqual([updates[4]]);
    expect(await h.db.query(`SELECT msg_id FROM runs.outbox WHERE subject = $1`, [subjects.runFinished(wid)])).toEqual([
      { msg_id: `run-finished:${wid}` },
    ]);

    // ApplyPatchST, DecideST and ExecuteST ran in one delivery of one intentQ message, in one transaction.
    expect(await intentMessages(wid)).toEqual({
      outbox: [`step:${wid}:CompileST`, `step:${wid}:ApplyPatchST`],
      inbox: [`step:${wid}:ApplyPatchST`, `step:${wid}:CompileST`],
    });
    const [compileTx, applyTx, decideTx, executeTx] = await stepTransactions(wid);
    expect(compileTx.started_at).not.toBe(applyTx.started_at);
    expect(decideTx.started_at).toBe(applyTx.started_at);
    expect(executeTx.started_at).toBe(applyTx.started_at);
    expect(decideTx.xmin).toBe(applyTx.xmin);

    // ApplyPatchST re-published beyond the duplicate window (a new message id) is a no-op by state.
    await h.js.publish(subjects.intentTask('tenant-a'), JSON.stringify({ runId: wid, stepId: 'ApplyPatchST' }), {
      msgID: `apply-again-${wid}`,
    });
    await eventually(
      async () => (await h.db.query(`SELECT 1 FROM runs.inbox WHERE msg_id = $1`, [`apply-again-${wid}`])).length === 1,
      'repeated ApplyPatchST consumed',
    );
    expect(await runRow(wid)).toMatchObject({ status: 'SUCCESS', version: 5 });
    expect(await steps(wid)).toHaveLength(4);

    // The same decision re-published beyond the duplicate window (a new message id) changes nothing.
    await decide(wid, Decision.APPROVE, { rationale: 'again' }, `replay-${randomUUID()}`);
    await decide(wid, Decision.REJECT, {}, `late-${randomUUID()}`);
    await eventually(async () => {
      const [row] = await h.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM runs.inbox WHERE consumer = 'runs-gate-decided' AND (msg_id LIKE 'replay-%' OR msg_id LIKE 'late-%')`,
      );
      return row.n >= 2;
    }, 'late decisions consumed');
    expect(await runRow(wid)).toMatchObject({
      status: 'SUCCESS',
      version: done.version,
      decision: expect.objectContaining({ rationale: 'fine' }),
    });
    expect(await steps(wid)).toHaveLength(4);
  });

  it('ends the run ERROR REJECTED with the gate key and rationale on a human "no"', async () => {
    const { wid } = await runAtPlanGate();
    await decide(wid, Decision.REJECT, { rationale: 'too risky' });
    const row = await runReaches(wid, 'ERROR');
    expect(row).toMatchObject({ next_action: 'NONE', last_step: 'CompileST' });
    expect(row.error).toEqual({
      code: 'REJECTED',
      message: expect.any(String),
      gateKey: 'approve-plan',
      rationale: 'too risky',
    });
    expect(await steps(wid)).toEqual([{ step_id: 'CompileST', attempt: 1, status: 'SUCCEEDED' }]);
    const view = await h.call<RunView>(rpc.runs.getRun, { workflowId: wid });
    expect(view).toMatchObject({
      status: 'ERROR',
      nextAction: 'NONE',
      error: { code: 'REJECTED', gateKey: 'approve-plan', rationale: 'too risky' },
    });

    // A later approval for the finished run is ignored.
    await decide(wid, Decision.APPROVE, {}, `after-reject-${wid}`);
    await eventually(
      async () =>
        (await h.db.query(`SELECT 1 FROM runs.inbox WHERE msg_id = $1`, [`after-reject-${wid}`])).length === 1,
      'consumed',
    );
    expect((await runRow(wid)).status).toBe('ERROR');
    expect(await steps(wid)).toHaveLength(1);
  });

  it('ignores a contrary decision that arrives while the run is already past its gate', async () => {
    const { wid } = await runAtPlanGate({ concurrency: 1, steps: 60, sandboxMinutes: 1 });
    await decide(wid, Decision.APPROVE);
    await eventually(async () => (await runRow(wid)).tasks_dispatched > 0, 'ExecuteST fanning out');
    // A finished child task re-published beyond the duplicate window: no second artifact, no double count.
    await eventually(async () => (await runRow(wid)).tasks_done > 1, 'first child tasks done');
    await h.js.publish(
      subjects.sandboxTask('tenant-a'),
      JSON.stringify({ runId: wid, taskKey: 'task-0', idx: 0, sandboxMinutes: 1 }),
      { msgID: `child-again-${wid}` },
    );
    await decide(wid, Decision.REJECT, { rationale: 'too late' }, `contrary-${wid}`);
    await eventually(
      async () => (await h.db.query(`SELECT 1 FROM runs.inbox WHERE msg_id = $1`, [`contrary-${wid}`])).length === 1,
      'contrary decision consumed',
    );
    const meanwhile = await runRow(wid);
    expect(meanwhile.tasks_done).toBeLessThan(60);
    expect(meanwhile).toMatchObject({ status: 'PENDING', error: null });
    const done = await runReaches(wid, 'SUCCESS');
    expect(done.error).toBeNull();
    expect(done.decision).toMatchObject({ decision: 'approve' });
    expect(done).toMatchObject({ tasks_total: 60, tasks_dispatched: 60, tasks_done: 60 });
    expect(await h.db.query(`SELECT 1 FROM runs.inbox WHERE msg_id = $1`, [`child-again-${wid}`])).toHaveLength(1);
    expect(
      await h.db.query(
        `SELECT count(*)::int AS n, count(DISTINCT idx)::int AS d FROM runs.artifacts WHERE run_id = $1`,
        [wid],
      ),
    ).toEqual([{ n: 60, d: 60 }]);
  });

  it('ends the run ERROR GATE_TIMED_OUT on a timeout decision', async () => {
    const { wid } = await runAtPlanGate();
    await decide(wid, Decision.TIMEOUT);
    const row = await runReaches(wid, 'ERROR');
    expect(row.error).toEqual({ code: 'GATE_TIMED_OUT', message: expect.any(String), gateKey: 'approve-plan' });
    expect(row.decision).toMatchObject({ decision: 'timeout', by: 'timer' });
  });

  it('keeps waiting while the plan gate escalates, and follows the successor gate of its chain', async () => {
    const { wid } = await runAtPlanGate();
    await decide(wid, Decision.TIMEOUT, { escalatedTo: 'approve-plan-e1' });
    // A decision on another gate (not of the plan chain) changes nothing either.
    await decide(wid, Decision.REJECT, { gateKey: 'other-gate', rootGateKey: 'other-gate' }, `other-${wid}`);
    await eventually(
      async () =>
        (
          await h.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM runs.inbox WHERE msg_id IN ($1, $2)`, [
            `gate-decided:${wid}:${PLAN_GATE_KEY}`,
            `other-${wid}`,
          ])
        )[0].n === 2,
      'both decisions consumed',
    );
    expect(await runRow(wid)).toMatchObject({ status: 'PENDING', next_action: 'APPROVE_PLAN', decision: null });

    await decide(
      wid,
      Decision.TIMEOUT,
      { gateKey: 'approve-plan-e1', escalatedTo: 'approve-plan-e2' },
      `gate-decided:${wid}:approve-plan-e1`,
    );
    await decide(wid, Decision.APPROVE, { gateKey: 'approve-plan-e2' }, `gate-decided:${wid}:approve-plan-e2`);
    const row = await runReaches(wid, 'SUCCESS');
    expect(row.decision).toMatchObject({ gateKey: 'approve-plan-e2', decision: 'approve', by: 'human' });

    // The last level timing out without a successor ends the run like the plan gate's own timeout.
    const other = await runAtPlanGate();
    await decide(other.wid, Decision.TIMEOUT, { escalatedTo: 'approve-plan-e1' });
    await decide(
      other.wid,
      Decision.TIMEOUT,
      { gateKey: 'approve-plan-e1' },
      `gate-decided:${other.wid}:approve-plan-e1`,
    );
    const failed = await runReaches(other.wid, 'ERROR');
    expect(failed.error).toEqual({ code: 'GATE_TIMED_OUT', message: expect.any(String), gateKey: 'approve-plan-e1' });
  });

  it('ends the run ERROR PATCH_INVALID when the approved patch does not apply', async () => {
    const { wid } = await runAtPlanGate();
    const before = await runRow(wid);
    await decide(wid, Decision.APPROVE, { patch: [{ op: 'remove', path: '/no/such/member' }] });
    const row = await runReaches(wid, 'ERROR');
    expect(row.error).toMatchObject({ code: 'PATCH_INVALID', stepId: 'ApplyPatchST', gateKey: 'approve-plan' });
    expect(row.plan_hash).toBe(before.plan_hash);
    expect(await steps(wid)).toEqual([
      { step_id: 'CompileST', attempt: 1, status: 'SUCCEEDED' },
      { step_id: 'ApplyPatchST', attempt: 1, status: 'FAILED' },
    ]);
    const [{ n }] = await h.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM runs.dead_letters`);
    expect(n).toBe(0);
  });

  it('finishes ExecuteST at once with zero child tasks', async () => {
    const { wid } = await runAtPlanGate({ concurrency: 3, steps: 0, sandboxMinutes: 0 });
    await decide(wid, Decision.APPROVE);
    await runReaches(wid, 'SUCCESS');
    expect((await steps(wid)).map((s) => `${s.step_id}:${s.status}`)).toEqual([
      'CompileST:SUCCEEDED',
      'ApplyPatchST:SUCCEEDED',
      'DecideST:SUCCEEDED',
      'ExecuteST:SUCCEEDED',
    ]);
    expect(await h.db.query(`SELECT 1 FROM runs.artifacts WHERE run_id = $1`, [wid])).toEqual([]);
    // All three steps and the run's end in the decision's next transaction: one snapshot, SUCCESS.
    const updates = await runUpdates(wid);
    expect(snapshots(updates).slice(2)).toEqual([
      { version: 3, status: 'PENDING', nextAction: 'NONE', lastStep: 'CompileST' },
      { version: 4, status: 'SUCCESS', nextAction: 'NONE', lastStep: 'ExecuteST' },
    ]);
    expect(await runFinishes(wid)).toEqual([updates[3]]);
    const [, ...resumed] = await stepTransactions(wid);
    const [run] = await h.db.query(`SELECT xmin::text AS xmin FROM runs.runs WHERE id = $1`, [wid]);
    expect(resumed.map((r) => r.xmin)).toEqual([run.xmin, run.xmin, run.xmin]);
    expect((await intentMessages(wid)).outbox).toEqual([`step:${wid}:CompileST`, `step:${wid}:ApplyPatchST`]);
  });

  describe('a failure in a later step of the delivery', () => {
    let decideSpy: jest.SpyInstance | undefined;
    let executeSpy: jest.SpyInstance | undefined;

    afterEach(() => {
      decideSpy?.mockRestore();
      executeSpy?.mockRestore();
    });

    /** Makes `step` throw for `wid` on the deliveries `failOn` returns true for. */
    function failStep(
      step: { outcome(run: RunRow, attempt: number): StepOutcome },
      wid: string,
      failOn: (attempt: number) => boolean,
    ): jest.SpyInstance {
      const original = step.outcome.bind(step);
      return jest.spyOn(step, 'outcome').mockImplementation((run, attempt) => {
        if (run.id === wid && failOn(attempt)) throw new Error(`injected failure on delivery ${attempt}`);
        return original(run, attempt);
      });
    }

    it('rolls back the whole delivery and runs all three steps again on the redelivery', async () => {
      const { wid } = await runAtPlanGate({ concurrency: 2, steps: 2, sandboxMinutes: 1 });
      decideSpy = failStep(h.app.get(DecideStep), wid, (attempt) => attempt === 1);
      executeSpy = failStep(h.app.get(ExecuteStep), wid, (attempt) => attempt === 2);
      await decide(wid, Decision.APPROVE);
      await runReaches(wid, 'SUCCESS');
      // Nothing of deliveries 1 and 2 survived: no ApplyPatchST row of theirs, no extra version.
      expect(await steps(wid)).toEqual([
        { step_id: 'CompileST', attempt: 1, status: 'SUCCEEDED' },
        { step_id: 'ApplyPatchST', attempt: 3, status: 'SUCCEEDED' },
        { step_id: 'DecideST', attempt: 3, status: 'SUCCEEDED' },
        { step_id: 'ExecuteST', attempt: 3, status: 'SUCCEEDED' },
      ]);
      expect(snapshots(await runUpdates(wid)).map((u) => `${u.version}:${u.status}:${u.lastStep}`)).toEqual([
        '1:ENQUEUED:null',
        '2:PENDING:CompileST',
        '3:PENDING:CompileST',
        '4:PENDING:DecideST',
        '5:SUCCESS:ExecuteST',
      ]);
      expect(await h.db.query(`SELECT 1 FROM runs.dead_letters WHERE msg_id LIKE '%' || $1 || '%'`, [wid])).toEqual([]);
    });

    it('ends the run MAX_RECOVERY_ATTEMPTS_EXCEEDED naming the step that failed on every delivery', async () => {
      const { wid } = await runAtPlanGate({ concurrency: 1, steps: 1, sandboxMinutes: 1 });
      executeSpy = failStep(h.app.get(ExecuteStep), wid, () => true);
      await decide(wid, Decision.APPROVE);
      const row = await runReaches(wid, 'MAX_RECOVERY_ATTEMPTS_EXCEEDED');
      expect(row).toMatchObject({ next_action: 'NONE', retry_count: 2, tasks_dispatched: 0, last_step: 'CompileST' });
      expect(row.error).toMatchObject({ code: 'MAX_RECOVERY_ATTEMPTS_EXCEEDED', stepId: 'ExecuteST' });
      expect(row.error.message).toContain('injected failure on delivery 3');
      expect(await steps(wid)).toEqual([
        { step_id: 'CompileST', attempt: 1, status: 'SUCCEEDED' },
        { step_id: 'ExecuteST', attempt: 3, status: 'FAILED' },
      ]);
      expect(
        await h.db.query(`SELECT consumer, deliveries FROM runs.dead_letters WHERE msg_id = $1`, [
          `step:${wid}:ApplyPatchST`,
        ]),
      ).toEqual([{ consumer: 'runs-intent-q', deliveries: 3 }]);
      expect(await runFinishes(wid)).toEqual([
        expect.objectContaining({ workflowID: wid, status: 'MAX_RECOVERY_ATTEMPTS_EXCEEDED', version: row.version }),
      ]);
    });
  });

  it('still runs DecideST and ExecuteST messages written before the steps ran together', async () => {
    /** The state a run was left in by a runs version that ran ApplyPatchST alone and queued `next`. */
    async function leftBefore(next: 'DecideST' | 'ExecuteST', steps: number): Promise<string> {
      const { wid } = await runAtPlanGate({ concurrency: 2, steps, sandboxMinutes: 1 });
      const decision = { gateKey: 'approve-plan', decision: 'approve', by: 'human', choice: 'yes', rationale: null };
      const done = next === 'DecideST' ? ['ApplyPatchST'] : ['ApplyPatchST', 'DecideST'];
      for (const stepId of done) {
        await h.db.query(
          `INSERT INTO runs.run_steps (run_id, step_id, attempt, status, output, finished_at)
           VALUES ($1, $2, 1, 'SUCCEEDED', '{}'::jsonb, now())`,
          [wid, stepId],
        );
      }
      await h.db.query(
        `UPDATE runs.runs SET next_action = 'NONE', last_step = $2, version = version + 1,
           decision = $3::jsonb || jsonb_build_object('patch', null, 'actor', 'alice', 'at', now()::text)
         WHERE id = $1`,
        [wid, done[done.length - 1], JSON.stringify(decision)],
      );
      await h.js.publish(subjects.intentTask('tenant-a'), JSON.stringify({ runId: wid, stepId: next }), {
        msgID: `step:${wid}:${next}`,
      });
      return wid;
    }

    const fromDecide = await leftBefore('DecideST', 2);
    await runReaches(fromDecide, 'SUCCESS');
    expect(await steps(fromDecide)).toEqual([
      { step_id: 'CompileST', attempt: 1, status: 'SUCCEEDED' },
      { step_id: 'ApplyPatchST', attempt: 1, status: 'SUCCEEDED' },
      { step_id: 'DecideST', attempt: 1, status: 'SUCCEEDED' },
      { step_id: 'ExecuteST', attempt: 1, status: 'SUCCEEDED' },
    ]);
    // DecideST went on to ExecuteST in its own delivery: no ExecuteST message.
    expect((await intentMessages(fromDecide)).inbox).toEqual([
      `step:${fromDecide}:CompileST`,
      `step:${fromDecide}:DecideST`,
    ]);
    expect((await runRow(fromDecide)).tasks_done).toBe(2);

    const fromExecute = await leftBefore('ExecuteST', 0);
    const done = await runReaches(fromExecute, 'SUCCESS');
    expect(done).toMatchObject({ last_step: 'ExecuteST', next_action: 'NONE' });
    expect((await steps(fromExecute)).map((r) => `${r.step_id}:${r.status}`)).toEqual([
      'CompileST:SUCCEEDED',
      'ApplyPatchST:SUCCEEDED',
      'DecideST:SUCCEEDED',
      'ExecuteST:SUCCEEDED',
    ]);
    expect(await runFinishes(fromExecute)).toEqual([
      expect.objectContaining({ status: 'SUCCESS', version: done.version }),
    ]);
  });

  it('starts an intent once: same id, one run, one first step, even when started concurrently', async () => {
    const wid = await createIntent();
    const results = await Promise.all([startRun(wid), startRun(wid), startRun(wid, { queuePartitionKey: 'tenant-b' })]);
    expect(results.map((r) => r.workflowID)).toEqual([wid, wid, wid]);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await startRun(wid)).toEqual({ workflowID: wid, created: false });
    await eventually(async () => (await runRow(wid))?.next_action === 'APPROVE_PLAN', 'plan gate');
    expect(await h.db.query(`SELECT count(*)::int AS n FROM runs.runs WHERE id = $1`, [wid])).toEqual([{ n: 1 }]);
    expect(
      await h.db.query(`SELECT count(*)::int AS n FROM runs.outbox WHERE msg_id = $1`, [`step:${wid}:CompileST`]),
    ).toEqual([{ n: 1 }]);
    expect(await steps(wid)).toEqual([{ step_id: 'CompileST', attempt: 1, status: 'SUCCEEDED' }]);

    // The first step re-published beyond the duplicate window (a new message id) is a no-op by state.
    const before = await runRow(wid);
    await h.js.publish(subjects.intentTask('tenant-a'), JSON.stringify({ runId: wid, stepId: 'CompileST' }), {
      msgID: `again-${wid}`,
    });
    await eventually(
      async () => (await h.db.query(`SELECT 1 FROM runs.inbox WHERE msg_id = $1`, [`again-${wid}`])).length === 1,
      'repeated step consumed',
    );
    expect(await runRow(wid)).toMatchObject({ version: before.version, plan_hash: before.plan_hash });
    expect(await steps(wid)).toHaveLength(1);
  });

  describe('laws and bad input over request/reply', () => {
    let wid: string;
    const base = () => ({
      intentId: wid,
      queueName: 'intentQ',
      queuePartitionKey: 'p',
      recipeName: 'agent-plan',
      workload: { concurrency: 1, steps: 1, sandboxMinutes: 1 },
    });

    beforeAll(async () => {
      wid = await createIntent();
    });

    it.each<[string, () => unknown, ErrorCode]>([
      ['queue law', () => ({ ...base(), queueName: 'sbxQ' }), ErrorCode.QUEUE_NOT_ALLOWED],
      ['partition law: blank key', () => ({ ...base(), queuePartitionKey: '   ' }), ErrorCode.PARTITION_KEY_REQUIRED],
      ['partition law: no key', () => ({ ...base(), queuePartitionKey: undefined }), ErrorCode.PARTITION_KEY_REQUIRED],
      [
        'partition key outside the subject alphabet',
        () => ({ ...base(), queuePartitionKey: 'a.b' }),
        ErrorCode.VALIDATION_FAILED,
      ],
      ['unknown recipe', () => ({ ...base(), recipeName: 'yolo' }), ErrorCode.UNKNOWN_RECIPE],
      ['unknown intent', () => ({ ...base(), intentId: randomUUID() }), ErrorCode.INTENT_NOT_FOUND],
      ['intent id not a UUID', () => ({ ...base(), intentId: 'not-a-uuid' }), ErrorCode.INTENT_NOT_FOUND],
      ['missing workload', () => ({ ...base(), workload: undefined }), ErrorCode.VALIDATION_FAILED],
      [
        'zero concurrency',
        () => ({ ...base(), workload: { concurrency: 0, steps: 1, sandboxMinutes: 1 } }),
        ErrorCode.VALIDATION_FAILED,
      ],
      ['not an object', () => 'run it', ErrorCode.VALIDATION_FAILED],
    ])('start-run: %s', async (_name, payload, code) => {
      const err = await h.callError(rpc.runs.startRun, payload());
      expect(err.error).toBe(code);
      expect(typeof err.message).toBe('string');
      expect(await h.db.query(`SELECT 1 FROM runs.runs WHERE id = $1`, [wid])).toEqual([]);
    });

    it.each<[string, unknown]>([
      ['no goal', { inputs: {} }],
      ['empty goal', { goal: '' }],
      ['inputs not an object', { goal: 'g', inputs: 'x' }],
    ])('create-intent: %s', async (_name, payload) => {
      const [{ n: before }] = await h.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM runs.intents`);
      expect((await h.callError(rpc.runs.createIntent, payload)).error).toBe(ErrorCode.VALIDATION_FAILED);
      expect(await h.db.query(`SELECT count(*)::int AS n FROM runs.intents`)).toEqual([{ n: before }]);
    });

    it.each<[string, unknown, ErrorCode]>([
      ['unknown run', { workflowId: randomUUID() }, ErrorCode.RUN_NOT_FOUND],
      ['run id not a UUID', { workflowId: 'not-a-uuid' }, ErrorCode.RUN_NOT_FOUND],
      ['an intent without a run', { workflowId: 'INTENT' }, ErrorCode.RUN_NOT_FOUND],
      ['no workflowId', {}, ErrorCode.VALIDATION_FAILED],
    ])('get-run: %s', async (_name, payload, code) => {
      const body = (payload as { workflowId?: string }).workflowId === 'INTENT' ? { workflowId: wid } : payload;
      expect((await h.callError(rpc.runs.getRun, body)).error).toBe(code);
    });
  });

  it('ends a run MAX_RECOVERY_ATTEMPTS_EXCEEDED when a step message can never succeed', async () => {
    const { wid } = await runAtPlanGate();
    // ApplyPatchST for a run nobody approved: a message that can never succeed, dead-lettered at once.
    await h.js.publish(subjects.intentTask('tenant-a'), JSON.stringify({ runId: wid, stepId: 'ApplyPatchST' }), {
      msgID: `stray-${wid}`,
    });
    const row = await runReaches(wid, 'MAX_RECOVERY_ATTEMPTS_EXCEEDED');
    expect(row).toMatchObject({ next_action: 'NONE', retry_count: 0 });
    expect(row.error).toMatchObject({ code: 'MAX_RECOVERY_ATTEMPTS_EXCEEDED', stepId: 'ApplyPatchST' });
    expect(await steps(wid)).toEqual([
      { step_id: 'CompileST', attempt: 1, status: 'SUCCEEDED' },
      { step_id: 'ApplyPatchST', attempt: 1, status: 'FAILED' },
    ]);
    expect(
      await h.db.query(`SELECT consumer, deliveries FROM runs.dead_letters WHERE msg_id = $1`, [`stray-${wid}`]),
    ).toEqual([{ consumer: 'runs-intent-q', deliveries: 1 }]);
    // The human's approval arriving afterwards changes nothing.
    await decide(wid, Decision.APPROVE);
    await eventually(
      async () =>
        (await h.db.query(`SELECT 1 FROM runs.inbox WHERE msg_id = $1`, [`gate-decided:${wid}:approve-plan`]))
          .length === 1,
      'consumed',
    );
    expect((await runRow(wid)).status).toBe('MAX_RECOVERY_ATTEMPTS_EXCEEDED');
  });
});
