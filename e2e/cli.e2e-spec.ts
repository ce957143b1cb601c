import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateApiKey } from '@gatehouse/identity';
import { freePort } from '../tools/test-support/free-port';
import { ROOT } from '../tools/test-support/paths';
import { Stack } from '../tools/test-support/stack';
import { Api } from './support/http';
import { rowCounts } from './support/row-counts';
import { planGateOpen, runReaches, startRun } from './support/scenario';

const CLI = join(ROOT, 'dist', 'apps', 'cli', 'src', 'main.js');
const UNKNOWN_RUN = '00000000-0000-4000-8000-000000000000';

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The built `gatehouse` command against the real stack under AUTH_MODE=required: every command's
 * happy path, the API's refusals as exit codes with the API's code on stderr, --json parsed.
 */
describe('gatehouse CLI (e2e, AUTH_MODE=required)', () => {
  const adminKey = generateApiKey();
  let stack: Stack;
  let admin: Api;
  /** Starts the runs: the admin who decides their gates is not their requester (no self-approval). */
  let requester: Api;
  const tmp = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));

  /** Runs the CLI as a script would: no terminal, settings from the environment. */
  function gatehouse(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
    const base: Record<string, string | undefined> = {
      PATH: process.env.PATH,
      GATEHOUSE_URL: stack.baseUrl,
      GATEHOUSE_TOKEN: adminKey,
    };
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [CLI, ...args],
        { env: { ...base, ...env } as NodeJS.ProcessEnv, timeout: 60_000, encoding: 'utf8' },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  /** Asserts an exit code, showing the output when it differs. */
  function expectExit(result: CliResult, code: number): CliResult {
    expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code });
    return result;
  }

  /** The plan version `show` displays: the gate's (once policy records one) or its prompt's. */
  const shownHash = (gate: any): string => gate.planHash ?? gate.prompt.planHash;

  const ledgerRow = async (dedupeKey: string) =>
    (
      await stack.db.query<{ payload: any }>('SELECT payload FROM gates.human_interactions WHERE dedupe_key = $1', [
        dedupeKey,
      ])
    )[0];

  beforeAll(async () => {
    stack = await Stack.start({
      name: 'cli',
      env: { AUTH_MODE: 'required', AUTH_BOOTSTRAP_ADMIN_KEY: adminKey, AUTH_KEY_CACHE_MS: '1000' },
    });
    admin = new Api(stack.baseUrl, { authorization: `Bearer ${adminKey}` });
    const made = await admin.post('/api/keys', { name: 'cli-requester', roles: ['requester'] });
    expect(made.status).toBe(201);
    requester = new Api(stack.baseUrl, { authorization: `Bearer ${made.body.key}` });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  describe('settings and authentication', () => {
    it('exits 4 with the API code when no token is set, and writes nothing', async () => {
      const before = await rowCounts(stack.db);
      const res = expectExit(await gatehouse(['status', UNKNOWN_RUN], { GATEHOUSE_TOKEN: undefined }), 4);
      expect(res.stderr).toContain('401 UNAUTHENTICATED');
      expect(res.stdout).toBe('');
      expect(await rowCounts(stack.db)).toEqual(before);
    });

    it('exits 4 for an unknown token', async () => {
      const res = expectExit(await gatehouse(['keys', 'list'], { GATEHOUSE_TOKEN: generateApiKey() }), 4);
      expect(res.stderr).toContain('UNAUTHENTICATED');
    });

    it('exits 78 for an invalid GATEHOUSE_URL and 1 when the gateway cannot be reached', async () => {
      const bad = expectExit(await gatehouse(['status', UNKNOWN_RUN], { GATEHOUSE_URL: 'not a url' }), 78);
      expect(bad.stderr).toContain('GATEHOUSE_URL is not a URL');
      const port = await freePort();
      const down = expectExit(
        await gatehouse(['status', UNKNOWN_RUN], { GATEHOUSE_URL: `http://127.0.0.1:${port}` }),
        1,
      );
      expect(down.stderr).toContain(`cannot reach Gatehouse at http://127.0.0.1:${port}`);
    });

    it('lets --url and --token override the environment', async () => {
      const res = await gatehouse(['keys', 'list', '--json', '--url', stack.baseUrl, '--token', adminKey], {
        GATEHOUSE_URL: 'http://127.0.0.1:9',
        GATEHOUSE_TOKEN: generateApiKey(),
      });
      expectExit(res, 0);
      expect(JSON.parse(res.stdout).map((k: any) => k.name)).toContain('bootstrap');
    });

    it('exits 2 on an unknown command or option', async () => {
      expectExit(await gatehouse(['frobnicate']), 2);
      expectExit(await gatehouse(['status', UNKNOWN_RUN, '--colour']), 2);
      expectExit(await gatehouse(['status']), 2);
    });
  });

  describe('keys', () => {
    it('creates, lists and revokes a key; a key without admin is refused with 4', async () => {
      const made = expectExit(
        await gatehouse(['keys', 'create', '--name', 'cli-operator', '--role', 'operator', '--json']),
        0,
      );
      const created = JSON.parse(made.stdout);
      expect(created).toMatchObject({ name: 'cli-operator', roles: ['operator'] });
      expect(created.key).toEqual(expect.any(String));
      expect(made.stderr).toContain('shown once');

      const table = expectExit(await gatehouse(['keys', 'list']), 0);
      const row = table.stdout.split('\n').find((l) => l.startsWith(created.id));
      expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+ROLES\s+PREFIX/);
      expect(row).toContain('cli-operator');
      expect(row).toContain('operator');
      expect(table.stdout).not.toContain(created.key);
      expect(table.stdout).not.toContain('\x1b['); // no colour without a terminal

      const forbidden = expectExit(await gatehouse(['keys', 'list'], { GATEHOUSE_TOKEN: created.key }), 4);
      expect(forbidden.stderr).toContain('403 FORBIDDEN');

      const revoked = expectExit(await gatehouse(['keys', 'revoke', created.id, '--json']), 0);
      expect(JSON.parse(revoked.stdout)).toMatchObject({ id: created.id, revokedAt: expect.any(String) });
      const list = JSON.parse(expectExit(await gatehouse(['keys', 'list', '--json']), 0).stdout);
      expect(list.find((k: any) => k.id === created.id).revokedAt).toEqual(expect.any(String));
    });

    it('exits 3 for an unknown key and 2 when the API refuses the input', async () => {
      const missing = expectExit(await gatehouse(['keys', 'revoke', '00000000-0000-4000-8000-0000000000aa']), 3);
      expect(missing.stderr).toContain('404 KEY_NOT_FOUND');
      const bad = expectExit(await gatehouse(['keys', 'create', '--name', 'x', '--role', 'Not A Role']), 2);
      expect(bad.stderr).toContain('400 VALIDATION_FAILED');
    });
  });

  describe('runs and gates', () => {
    it('status and show answer 3 for an unknown run or gate and 2 for a malformed gate key', async () => {
      const run = expectExit(await gatehouse(['status', UNKNOWN_RUN]), 3);
      expect(run.stderr).toContain('404 RUN_NOT_FOUND');
      const wid = await startRun(requester);
      await planGateOpen(admin, wid);
      const gate = expectExit(await gatehouse(['show', wid, 'no-such-gate']), 3);
      expect(gate.stderr).toContain('404 GATE_NOT_FOUND');
      const key = expectExit(await gatehouse(['show', wid, 'Bad_Key']), 2);
      expect(key.stderr).toContain('400 INVALID_GATE_KEY');
    });

    it('shows a pending gate for people and for scripts, and a run with its gates', async () => {
      const wid = await startRun(requester);
      const detail = await planGateOpen(admin, wid);

      const text = expectExit(await gatehouse(['show', wid, 'approve-plan']), 0).stdout;
      expect(text).toMatch(/^gate\s+approve-plan of run /m);
      expect(text).toMatch(/^state\s+PENDING$/m);
      expect(text).toMatch(/^risk\s+medium( \(.+\))?$/m);
      expect(text).toMatch(/^approvals\s+0\/1$/m);
      expect(text).toMatch(new RegExp(`^plan hash\\s+${shownHash(detail)}$`, 'm'));
      // An hour's deadline reads `in 59m`, or `in 1h00m` when the gateway's clock is a little ahead.
      expect(text).toMatch(/^deadline\s+\S+ \(in (59m|1h00m)\)$/m);
      expect(text).toMatch(/^choices\s+yes \(Approve the plan\), no \(Reject the plan\)$/m);
      expect(text).toMatch(/^plan:\n {2}\S/m);
      expect(text).toMatch(/^ {4}- id: step-1\n {6}action: analyze$/m);

      const json = JSON.parse(expectExit(await gatehouse(['show', wid, 'approve-plan', '--json']), 0).stdout);
      expect(json).toMatchObject({ gateKey: 'approve-plan', state: 'PENDING', planHash: detail.planHash });
      expect(json.prompt.planHash).toBe(shownHash(detail));

      const runJson = JSON.parse(expectExit(await gatehouse(['show', wid, '--json']), 0).stdout);
      expect(runJson.run).toMatchObject({ workflowID: wid, status: 'PENDING', nextAction: 'APPROVE_PLAN' });
      expect(runJson.gates.map((g: any) => g.gateKey)).toEqual(['approve-plan']);
      const runText = expectExit(await gatehouse(['show', wid]), 0).stdout;
      expect(runText).toMatch(/^status\s+PENDING \(next: APPROVE_PLAN\)$/m);
      expect(runText).toMatch(/^approve-plan\s+PENDING\s+medium\s+0\/1\s+in (59m|1h00m)$/m);

      const status = JSON.parse(expectExit(await gatehouse(['status', wid, '--json']), 0).stdout);
      expect(status).toMatchObject({ workflowID: wid, status: 'PENDING' });
      const pending = expectExit(await gatehouse(['status', wid, '--exit-status']), 8);
      expect(pending.stderr).toContain('has not finished');
      expectExit(await gatehouse(['watch', wid, '--timeout', '1s']), 8);
    });

    it('approves with a fresh dedupe key and the shown plan hash; a retry is a replay, drift and late votes are 5', async () => {
      const wid = await startRun(requester);
      const detail = await planGateOpen(admin, wid);

      const first = expectExit(await gatehouse(['approve', wid, '--rationale', 'looks right', '--json']), 0);
      const out = JSON.parse(first.stdout);
      expect(out).toMatchObject({
        ok: true,
        state: 'RECEIVED',
        duplicate: false,
        gateKey: 'approve-plan',
        choice: 'yes',
      });
      expect(out.dedupeKey).toMatch(/^cli-[0-9a-f-]{36}$/);
      expect(out.planHash).toBe(shownHash(detail));
      expect(first.stderr).toContain(`dedupe key: ${out.dedupeKey}`);
      expect((await ledgerRow(out.dedupeKey)).payload).toEqual({
        choice: 'yes',
        rationale: 'looks right',
        planHash: shownHash(detail),
      });

      const retry = expectExit(
        await gatehouse([
          'approve',
          wid,
          'approve-plan',
          '--rationale',
          'looks right',
          '--dedupe-key',
          out.dedupeKey,
          '--json',
        ]),
        0,
      );
      expect(JSON.parse(retry.stdout)).toMatchObject({ duplicate: true, dedupeKey: out.dedupeKey });
      const retryText = expectExit(
        await gatehouse(['approve', wid, 'approve-plan', '--rationale', 'looks right', '--dedupe-key', out.dedupeKey]),
        0,
      );
      expect(retryText.stdout).toContain('already recorded');

      const drift = expectExit(
        await gatehouse([
          'approve',
          wid,
          'approve-plan',
          '--rationale',
          'changed my words',
          '--dedupe-key',
          out.dedupeKey,
        ]),
        5,
      );
      expect(drift.stderr).toContain('409 DEDUPE_CONFLICT');
      const late = expectExit(await gatehouse(['approve', wid, 'approve-plan']), 5);
      expect(late.stderr).toContain('409 GATE_CLOSED');
      // Without a gate name there is no pending gate left to decide...
      const none = expectExit(await gatehouse(['reject', wid]), 5);
      expect(none.stderr).toContain('has no pending gate');
      // ...but a retry with its dedupe key finds the gate that recorded it: a replay, as the README shows.
      const unnamed = expectExit(
        await gatehouse(['approve', wid, '--rationale', 'looks right', '--dedupe-key', out.dedupeKey, '--json']),
        0,
      );
      expect(JSON.parse(unnamed.stdout)).toMatchObject({ duplicate: true, gateKey: 'approve-plan' });

      expectExit(await gatehouse(['watch', wid, '--exit-status']), 0);
      expectExit(await gatehouse(['status', wid, '--exit-status']), 0);
      // A closed gate shows when it closed, not a deadline that no longer applies.
      const closed = expectExit(await gatehouse(['show', wid]), 0).stdout;
      expect(closed).toMatch(/^approve-plan\s+RECEIVED\s+medium\s+1\/1\s+closed \d{4}-\d\d-\d\dT/m);
    });

    it('watch --exit-status follows a rejected run to its end and exits 1', async () => {
      const wid = await startRun(requester);
      await planGateOpen(admin, wid);
      const watching = gatehouse(['watch', wid, '--exit-status', '--json']);
      await new Promise((r) => setTimeout(r, 500));
      const rejected = expectExit(await gatehouse(['reject', wid, '--rationale', 'too risky']), 0);
      expect(rejected.stdout).toContain('no recorded on approve-plan');

      const watched = expectExit(await watching, 1);
      const snapshots = watched.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(snapshots[0]).toMatchObject({ workflowID: wid, status: 'PENDING' });
      expect(snapshots[snapshots.length - 1]).toMatchObject({
        status: 'ERROR',
        error: { code: 'REJECTED', gateKey: 'approve-plan', rationale: 'too risky' },
      });
      expect(watched.stderr).toContain('ended ERROR: REJECTED');

      const human = expectExit(await gatehouse(['watch', wid]), 0);
      expect(human.stdout).toMatch(/ERROR\s+CompileST\s+tasks 0\/\d+\s+REJECTED at approve-plan$/m);
      expectExit(await gatehouse(['status', wid, '--exit-status']), 1);
    });

    it('sends a JSON Patch with the vote, and refuses a bad patch file before sending anything', async () => {
      const wid = await startRun(requester);
      await planGateOpen(admin, wid);
      const notJson = join(tmp, 'not-json.json');
      writeFileSync(notJson, '{nope');
      const wrongPath = join(tmp, 'wrong-path.json');
      writeFileSync(wrongPath, JSON.stringify([{ op: 'remove', path: '/no/such/field' }]));
      const good = join(tmp, 'good.json');
      const patch = [{ op: 'replace', path: '/goal', value: 'ship the smaller plan' }];
      writeFileSync(good, JSON.stringify(patch));

      const before = await rowCounts(stack.db);
      expect(expectExit(await gatehouse(['approve', wid, '--patch', notJson]), 2).stderr).toContain('is not JSON');
      expect(expectExit(await gatehouse(['approve', wid, '--patch', wrongPath]), 2).stderr).toContain(
        'does not apply to the plan',
      );
      expect(expectExit(await gatehouse(['approve', wid, '--dedupe-key', 'has space']), 2).stderr).toContain(
        '--dedupe-key',
      );
      // The API's own 400: a rationale over its limit.
      const long = expectExit(await gatehouse(['approve', wid, '--rationale', 'x'.repeat(4001)]), 2);
      expect(long.stderr).toContain('400 VALIDATION_FAILED');
      expect(await rowCounts(stack.db)).toEqual(before);

      const ok = JSON.parse(expectExit(await gatehouse(['approve', wid, '--patch', good, '--json']), 0).stdout);
      expect((await ledgerRow(ok.dedupeKey)).payload.patch).toEqual(patch);
      // The gate now shows the patched plan's hash; a retry still sends the hash its first attempt sent.
      const patched = await admin.get(`/api/runs/${wid}/gates/approve-plan`);
      expect(patched.body.planHash).not.toBe(ok.planHash);
      const retry = expectExit(
        await gatehouse(['approve', wid, '--patch', good, '--dedupe-key', ok.dedupeKey, '--json']),
        0,
      );
      expect(JSON.parse(retry.stdout)).toMatchObject({ duplicate: true, planHash: ok.planHash });
      await runReaches(admin, wid, 'SUCCESS');
    });

    it('cancel refuses to act without --yes when not on a terminal', async () => {
      const res = expectExit(await gatehouse(['cancel', UNKNOWN_RUN, '--reason', 'cleanup']), 2);
      expect(res.stderr).toContain('--yes');
      expectExit(await gatehouse(['cancel', UNKNOWN_RUN]), 2); // --reason is required
    });
  });

  describe('oracle', () => {
    it('checks the database and reports every check', async () => {
      const json = expectExit(await gatehouse(['oracle', '--json'], { DATABASE_URL: stack.db.url }), 0);
      const report = JSON.parse(json.stdout);
      expect(report.ok).toBe(true);
      expect(Object.keys(report.violations).length).toBeGreaterThan(5);
      const text = expectExit(await gatehouse(['oracle', '--database-url', stack.db.url]), 0);
      expect(text.stdout.split('\n')[0]).toMatch(/^CHECK\s+RESULT$/);
      for (const name of Object.keys(report.violations))
        expect(text.stdout).toMatch(new RegExp(`^${name}\\s+ok$`, 'm'));
      expectExit(await gatehouse(['oracle'], { DATABASE_URL: 'mysql://nope' }), 78);
    });
  });
});
