import { runOracle } from '../tools/oracle/run-oracle';
import { ROOT, scratchDir } from '../tools/test-support/paths';
import { Stack } from '../tools/test-support/stack';
import { jsonValues, printed, readCourse, runLabs, textLines, type LabRun } from './field-course/course';

/**
 * The seed's operator field course, labs L00 to L20, run by bash as the course writes them (its shell
 * kit, curl, jq and scripts/db/psql-*.sh) against the real services; each lab's "Expect" is checked
 * from what it printed. What differs from the course, and why: e2e/field-course/README.md.
 */
const course = readCourse();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TERMINAL = ['SUCCESS', 'ERROR', 'CANCELLED', 'MAX_RECOVERY_ATTEMPTS_EXCEEDED'];
const LAB_TIMEOUT_MS = 240_000;

/** A lab's output as printed values; fails with the whole transcript when the lab is missing. */
function labOutput(run: LabRun, id: string) {
  const out = run.output.get(id);
  if (out === undefined) throw new Error(`lab ${id} printed nothing; transcript:\n${run.transcript}`);
  const items = printed(out);
  return { out, items, json: jsonValues(items), lines: textLines(items) };
}

/** psql's result footers, `(3 rows)` -> 3, in the order the queries ran. */
const rowCounts = (lines: string[]) =>
  lines.map((l) => /^\((\d+) rows?\)$/.exec(l.trim())).flatMap((m) => (m ? [Number(m[1])] : []));

/** The oracle pack (L20): listings answer; every duplicate set is empty; bad_hash is 0. */
function expectOraclePack(run: LabRun, minRuns: number): void {
  const { lines } = labOutput(run, 'L20');
  const counts = rowCounts(lines);
  expect(counts).toHaveLength(8);
  const [runs, dupSteps, dupArtifacts, dupInteractions, dupDecisions, origins, badHash, dupPrompts] = counts;
  expect(runs).toBeGreaterThanOrEqual(minRuns);
  expect({ dupSteps, dupArtifacts, dupInteractions, dupDecisions, dupPrompts }).toEqual({
    dupSteps: 0,
    dupArtifacts: 0,
    dupInteractions: 0,
    dupDecisions: 0,
    dupPrompts: 0,
  });
  expect(origins).toBeGreaterThanOrEqual(1);
  expect(badHash).toBe(1);
  const header = lines.findIndex((l) => l.trim() === 'bad_hash');
  expect(header).toBeGreaterThan(0);
  expect(lines[header + 2].trim()).toBe('0');
}

/** The sets L20 reads are not empty, so its zero sets say something. */
async function expectLedgerNotEmpty(stack: Stack): Promise<void> {
  const [n] = await stack.db.query<{ steps: number; artifacts: number; interactions: number; decisions: number }>(
    `SELECT (SELECT count(*)::int FROM app.run_steps) steps, (SELECT count(*)::int FROM app.artifacts) artifacts,
            (SELECT count(*)::int FROM app.human_interactions) interactions,
            (SELECT count(*)::int FROM dbos.workflow_events WHERE key LIKE 'decision:%') decisions`,
  );
  expect(n.steps).toBeGreaterThan(0);
  expect(n.artifacts).toBeGreaterThan(0);
  expect(n.interactions).toBeGreaterThan(0);
  expect(n.decisions).toBeGreaterThan(0);
}

async function expectOracleClean(stack: Stack): Promise<void> {
  const report = await runOracle(stack.db.url);
  expect(report.violations).toEqual(Object.fromEntries(Object.keys(report.violations).map((k) => [k, []])));
}

function labEnv(stack: Stack): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: stack.db.url, LC_ALL: 'C.UTF-8' };
}

describe('the seed field course, L00 to L20 (e2e)', () => {
  it('holds every lab the test runs, with the shell kit', () => {
    for (let i = 0; i <= 20; i++) expect(course.labs.has(`L${String(i).padStart(2, '0')}`)).toBe(true);
    expect(course.shellKit).toMatch(/^BASE=http:\/\/127\.0\.0\.1:3001$/m);
    expect(course.shellKit).toContain('wait_terminal()');
  });

  /** Default deadline (3600 s): L02's 3 s long-poll sees PENDING; a second gateway replica for L12. */
  describe('on the monolith lane with a second gateway replica', () => {
    let stack: Stack;
    let run: LabRun;
    const labs = ['L00', 'L01', 'L02', 'L03', 'L04', 'L05', 'L06', 'L09', 'L10', 'L11', 'L12'].concat([
      'L13',
      'L14',
      'L15',
      'L16',
      'L17',
      'L18',
      'L19',
      'L20',
    ]);

    beforeAll(async () => {
      stack = await Stack.start({ name: 'course', gateways: 2 });
      const [base, base2] = stack.gatewayUrls();
      run = await runLabs(
        course,
        labs,
        { base, base2, scratchDir: scratchDir('e2e', `course-${Date.now()}`) },
        labEnv(stack),
        ROOT,
        LAB_TIMEOUT_MS,
      );
    }, LAB_TIMEOUT_MS + 120_000);

    afterAll(async () => {
      await stack?.stop();
    }, 60_000);

    it('L00 health: ok is true', () => {
      expect(labOutput(run, 'L00').lines).toEqual(['true']);
    });

    it('L01 creates an intent and its run: workflowID = intentId, not terminal yet', () => {
      const { lines, json } = labOutput(run, 'L01');
      const [intent, wid] = lines[0].split(' ');
      expect(intent).toMatch(UUID);
      expect(wid).toBe(intent);
      expect(json).toHaveLength(1);
      expect(json[0]).toMatchObject({ workflowID: wid, status: expect.stringMatching(/^(ENQUEUED|PENDING)$/) });
    });

    it('L02 discovers the plan gate: state PENDING after a 3 s long-poll', () => {
      const { lines, json } = labOutput(run, 'L02');
      expect(lines).toEqual(['approve-plan']);
      expect(json[0]).toEqual([expect.objectContaining({ gateKey: 'approve-plan', state: 'PENDING' })]);
      expect(json[1]).toEqual({
        gateKey: 'approve-plan',
        state: 'PENDING',
        deadlineAt: expect.any(String),
        prompt: expect.anything(),
      });
    });

    it('L03 answers yes: gate RECEIVED, the run terminal (SUCCESS)', () => {
      const { json } = labOutput(run, 'L03');
      expect(json).toHaveLength(3);
      expect(json[0]).toEqual({ ok: true, state: 'RECEIVED', duplicate: false });
      expect(json[1]).toMatchObject({ state: 'RECEIVED', result: { choice: 'yes', rationale: 'operator-yes' } });
      expect(json[2]).toEqual({ status: 'SUCCESS', nextAction: 'NONE', lastStep: 'ExecuteST', error: null });
    });

    it('L04 replays the same reply: 200 duplicate, no second ledger row', async () => {
      const { json } = labOutput(run, 'L04');
      expect(json).toEqual([{ ok: true, state: 'RECEIVED', duplicate: true }]);
      const rows = await stack.db.query(`SELECT dedupe_key FROM app.human_interactions WHERE workflow_id = $1`, [
        run.vars.WID,
      ]);
      expect(rows).toEqual([{ dedupe_key: `manual-${run.vars.WID}-yes-1` }]);
    });

    it('L05 drifts the payload under the same dedupeKey: 409 DEDUPE_CONFLICT', () => {
      const { lines, json } = labOutput(run, 'L05');
      expect(lines).toEqual(['409']);
      expect(json).toEqual([expect.objectContaining({ error: 'DEDUPE_CONFLICT' })]);
    });

    it('L06 says no: the run ends ERROR REJECTED with the gate and rationale', () => {
      const { json } = labOutput(run, 'L06');
      expect(json[0]).toEqual({ ok: true, state: 'RECEIVED', duplicate: false });
      expect(json[1]).toEqual({
        status: 'ERROR',
        nextAction: 'NONE',
        error: expect.objectContaining({ code: 'REJECTED', gateKey: 'approve-plan', rationale: 'policy-fail' }),
      });
    });

    it('L09 approves through the legacy /approve-plan bridge: the run succeeds', () => {
      const { json } = labOutput(run, 'L09');
      expect(json[0]).toMatchObject({ ok: true, state: 'RECEIVED' });
      expect(json[1]).toEqual({ status: 'SUCCESS', nextAction: 'NONE', lastStep: 'ExecuteST', error: null });
    });

    it('L10 answers through the external receiver: {"ok":true}, recorded with its origin', async () => {
      const { json } = labOutput(run, 'L10');
      expect(json).toHaveLength(1);
      expect(json[0]).toMatchObject({ ok: true });
      const rows = await stack.db.query(
        `SELECT origin, dedupe_key FROM app.human_interactions WHERE workflow_id = $1`,
        [run.vars.W5],
      );
      expect(rows).toEqual([{ origin: 'webhook-ci', dedupe_key: `evt-${run.vars.W5}-1` }]);
    });

    it('L11 streams NDJSON snapshots of the run, ending terminal', () => {
      const { json, lines } = labOutput(run, 'L11');
      expect(lines).toEqual([]);
      expect(json.length).toBeGreaterThanOrEqual(1);
      expect(json.length).toBeLessThanOrEqual(8);
      for (const snapshot of json) expect(snapshot).toMatchObject({ workflowID: run.vars.W5 });
      if (json.length < 8) expect(TERMINAL).toContain(json[json.length - 1].status);
    });

    it('L12 works the same through the second gateway replica', async () => {
      const { json } = labOutput(run, 'L12');
      expect(run.vars.BASE2).not.toBe(run.vars.BASE);
      expect(json[0]).toMatchObject({ ok: true });
      expect(json[1]).toEqual({ ok: true, state: 'RECEIVED', duplicate: false });
      const rows = await stack.db.query(`SELECT gate_key FROM app.human_interactions WHERE workflow_id = $1`, [
        run.vars.W6,
      ]);
      expect(rows).toEqual([{ gate_key: 'approve-plan' }]);
    });

    it.each([
      ['L13', 'invalid JSON', 'INVALID_JSON'],
      ['L14', 'invalid schema', 'VALIDATION_FAILED'],
      ['L16', 'a bad gateKey', 'INVALID_GATE_KEY'],
    ])('%s refuses %s: 400 %s', (id, _what, code) => {
      const { lines, json } = labOutput(run, id);
      expect(lines).toEqual(['400']);
      expect(json).toEqual([expect.objectContaining({ error: code, message: expect.any(String) })]);
    });

    it('L15 refuses a reply without dedupeKey: 400 and before == after', () => {
      const { lines } = labOutput(run, 'L15');
      expect(lines[0]).toBe('400');
      const m = /^code=(.*) before=(\d+) after=(\d+)$/.exec(lines[1]);
      expect(m).not.toBeNull();
      expect(JSON.parse(m![1])).toMatchObject({ error: 'VALIDATION_FAILED' });
      expect(m![2]).toBe('1');
      expect(m![3]).toBe(m![2]);
    });

    it('L17 answers 404 for a missing run and a missing gate', () => {
      expect(labOutput(run, 'L17').lines).toEqual(['404', '404']);
    });

    it('no lab got a 5xx', () => {
      for (const [id, out] of run.output)
        expect({ id, fiveHundreds: out.match(/^5\d\d$/m) }).toEqual({ id, fiveHundreds: null });
    });

    it('L18 refuses long-poll bounds outside 0..30: 400 twice', () => {
      const { lines, json } = labOutput(run, 'L18');
      expect(lines).toEqual(['400', '400']);
      expect(json).toEqual([
        expect.objectContaining({ error: 'INVALID_TIMEOUT' }),
        expect.objectContaining({ error: 'INVALID_TIMEOUT' }),
      ]);
    });

    it('L19 refuses a topic that does not match the gate: 409 TOPIC_MISMATCH', () => {
      const { lines, json } = labOutput(run, 'L19');
      expect(lines).toEqual(['409']);
      expect(json).toEqual([expect.objectContaining({ error: 'TOPIC_MISMATCH' })]);
    });

    it('L20 oracle pack: every duplicate set empty, bad_hash = 0, over a ledger that is not empty', async () => {
      // L01, L06, L09, L10 and L12 started five runs.
      expectOraclePack(run, 5);
      await expectLedgerNotEmpty(stack);
      await expectOracleClean(stack);
    });
  });

  /**
   * L07 needs a gate to time out within the 4 s it sleeps, which L02 (a 3 s long-poll expecting
   * PENDING) cannot share: a stack whose gates time out after 2 s, as docs/field-course.md says.
   */
  describe('on a lane with HITL_GATE_TIMEOUT_S=2', () => {
    let stack: Stack;
    let run: LabRun;

    beforeAll(async () => {
      stack = await Stack.start({ name: 'course_timeout', env: { HITL_GATE_TIMEOUT_S: '2' } });
      run = await runLabs(
        course,
        ['L00', 'L07', 'L08', 'L20'],
        { base: stack.baseUrl, scratchDir: scratchDir('e2e', `course-timeout-${Date.now()}`) },
        labEnv(stack),
        ROOT,
        LAB_TIMEOUT_MS,
      );
    }, LAB_TIMEOUT_MS + 120_000);

    afterAll(async () => {
      await stack?.stop();
    }, 60_000);

    it('L00 health: ok is true', () => {
      expect(labOutput(run, 'L00').lines).toEqual(['true']);
    });

    it('L07 times the gate out; the escalation workflow esc:<W3>:<gate> is listed in dbos.workflow_status', async () => {
      const { json, lines } = labOutput(run, 'L07');
      expect(json).toEqual([{ state: 'TIMED_OUT', result: null }]);
      const W3 = run.vars.W3;
      expect(W3).toMatch(UUID);
      const row = lines.find((l) => l.trim().startsWith(`esc:${W3}:`));
      expect(row?.split('|').map((c) => c.trim())).toEqual([
        `esc:${W3}:approve-plan`,
        expect.stringMatching(/^(PENDING|SUCCESS)$/),
        '',
      ]);
      expect(rowCounts(lines)).toEqual([1]);
      const runs = await stack.db.query(`SELECT status, error->>'code' AS code FROM app.runs WHERE id = $1`, [W3]);
      expect(runs).toEqual([{ status: 'ERROR', code: 'GATE_TIMED_OUT' }]);
    });

    it('L08 refuses the late reply (409 GATE_CLOSED): the gate remains TIMED_OUT, nothing recorded', async () => {
      const { json } = labOutput(run, 'L08');
      expect(json).toEqual([expect.objectContaining({ error: 'GATE_CLOSED' }), { state: 'TIMED_OUT', result: null }]);
      expect(
        await stack.db.query(`SELECT count(*)::int AS n FROM app.human_interactions WHERE workflow_id = $1`, [
          run.vars.W3,
        ]),
      ).toEqual([{ n: 0 }]);
    });

    it('L20 oracle pack on this lane too: every duplicate set empty, bad_hash = 0', async () => {
      const { lines } = labOutput(run, 'L20');
      const counts = rowCounts(lines);
      expect(counts).toHaveLength(8);
      expect([counts[1], counts[2], counts[3], counts[4], counts[7]]).toEqual([0, 0, 0, 0, 0]);
      const header = lines.findIndex((l) => l.trim() === 'bad_hash');
      expect(lines[header + 2].trim()).toBe('0');
      await expectOracleClean(stack);
    });
  });
});
