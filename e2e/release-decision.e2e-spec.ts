import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { releaseDecision, type ReleaseOptions } from '../tools/release/release-decision';
import { createTestDatabase, type TestDatabase } from '../tools/test-support/database';
import { ROOT, scratchDir } from '../tools/test-support/paths';

/**
 * `release:decision` with its lane commands injected: small real lanes (the correctness lane on a
 * real database, the load lanes on spawned stacks at small counts) instead of the whole suite. The
 * lanes write their evidence where the release tells them (GATEHOUSE_EVIDENCE_DIR).
 */
describe('release:decision (e2e)', () => {
  let clean: TestDatabase;
  let dirty: TestDatabase;
  let dir: string;
  let output: string;

  const log = (lane: string) => `> "$GATEHOUSE_EVIDENCE_DIR/npm-${lane}.log" 2>&1`;
  const node = (script: string, args: string) => `"${process.execPath}" ${join('dist', 'tools', script)} ${args}`;
  const correctness = (db: TestDatabase) =>
    `${node('policy/policy-cli.js', `correctness --database-url ${db.url}`)} ${log('check')}`;
  const good = (): ReleaseOptions['commands'] => ({
    quick: `echo "quick: stand-in for typecheck, lint and unit tests" ${log('quick')}`,
    check: correctness(clean),
    full:
      `{ ${node('lanes/load-lane.js', 'load-1k --runs 8 --quiet')} && ` +
      `${node('lanes/load-lane.js', 'burst --runs 10 --quiet')}; } ${log('full')}`,
  });

  async function release(commands: ReleaseOptions['commands']) {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const outFile = join(dir, 'release-decision.json');
    const r = await releaseDecision({ commands, cwd: ROOT, evidenceDir: dir, outFile, out });
    output = Buffer.concat(chunks).toString('utf8');
    return { ...r, file: JSON.parse(readFileSync(outFile, 'utf8')) };
  }

  beforeAll(async () => {
    dir = scratchDir('e2e', `release-${Date.now()}`);
    [clean, dirty] = await Promise.all([createTestDatabase('release_clean'), createTestDatabase('release_dirty')]);
    // A decision recorded twice: possible only once the index that forbids it is gone.
    await dirty.query(`DROP INDEX gates.workflow_events_once`);
    await dirty.query(
      `INSERT INTO gates.workflow_events (workflow_id, key, value)
       SELECT '00000000-0000-4000-8000-000000000001', 'decision:approve-plan', '{"decision":"approve","by":"human"}'
       FROM generate_series(1, 2)`,
    );
  });

  afterAll(async () => {
    await Promise.all([clean?.drop(), dirty?.drop()]);
  });

  it('GO when quick, check and full pass and the evidence is fresh and clean', async () => {
    const r = await release(good());
    expect({ exitCode: r.exitCode, reasons: r.file.reasons, output }).toMatchObject({ exitCode: 0, reasons: [] });
    expect(r.file).toMatchObject({
      decision: 'GO',
      date: new Date().toISOString().slice(0, 10),
      commit: expect.stringMatching(/^[0-9a-f]{40}$/),
      uncommittedChanges: expect.any(Boolean),
      triggers: [],
    });
    expect(r.file.checks.map((c: any) => [c.name, c.result, c.exitCode])).toEqual([
      ['quick', 'PASS', 0],
      ['check', 'PASS', 0],
      ['full', 'PASS', 0],
    ]);
    expect(Object.keys(r.file.evidence).sort()).toEqual([
      'burst',
      'load1k',
      'log:check',
      'log:full',
      'log:quick',
      'sql',
    ]);
    for (const e of Object.values<any>(r.file.evidence)) expect(e).toMatchObject({ present: true });
    expect(r.file.evidence.sql).toMatchObject({ file: join(dir, 'hitl-c7-sql-evidence.json'), ok: true });
    const burst = JSON.parse(readFileSync(join(dir, 'hitl-burst-reply-report.json'), 'utf8'));
    expect(burst.burst.interactions).toEqual({ totalRows: 10, expectedDistinct: 10 });
  }, 240_000);

  it('NO_GO, exit 1, when a lane fails: later lanes do not run and evidence of the last release does not count', async () => {
    const r = await release({ ...good(), quick: `echo "a unit test failed" ${log('quick')}; exit 3` });
    expect(r.exitCode).toBe(1);
    expect(r.file.decision).toBe('NO_GO');
    expect(r.file.checks.map((c: any) => [c.name, c.result, c.exitCode])).toEqual([
      ['quick', 'FAIL', 3],
      ['check', 'NOT_RUN', null],
      ['full', 'NOT_RUN', null],
    ]);
    expect(r.file.reasons).toEqual(
      expect.arrayContaining([
        'quick failed (exit 3)',
        'check not run: an earlier lane failed',
        'full not run: an earlier lane failed',
        `evidence sql is missing (not written by this release): ${join(dir, 'hitl-c7-sql-evidence.json')}`,
        `evidence burst is missing (not written by this release): ${join(dir, 'hitl-burst-reply-report.json')}`,
      ]),
    );
    expect(output).toContain('== release decision: NO_GO');
  });

  it('NO_GO on a duplicate decision key, named as a rollback trigger', async () => {
    const r = await release({ ...good(), check: correctness(dirty) });
    expect(r.exitCode).toBe(1);
    expect(r.file.decision).toBe('NO_GO');
    expect(r.file.checks.map((c: any) => c.result)).toEqual(['PASS', 'FAIL', 'NOT_RUN']);
    expect(r.file.triggers).toEqual(['sql: 1 duplicate decision keys']);
    expect(r.file.reasons).toEqual(
      expect.arrayContaining([
        'check failed (exit 1)',
        'rollback trigger: sql: 1 duplicate decision keys',
        `evidence sql records a failure: ${join(dir, 'hitl-c7-sql-evidence.json')}`,
      ]),
    );
    expect(readFileSync(join(dir, 'npm-check.log'), 'utf8')).toContain('FAIL policy:correctness');
  });
});
