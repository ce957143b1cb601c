import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, scratchDir } from '../tools/test-support/paths';
import { Stack } from '../tools/test-support/stack';
import { jsonValues, printed, textLines } from './field-course/course';
import { Api } from './support/http';
import { planGateOpen, startRun } from './support/scenario';

/**
 * What a newcomer types: the README's "Using it" blocks and the CLI commands and SQL of
 * docs/operators.md, taken from the docs as written and run by bash against the real services. Only
 * the gateway address, the pasted run id and the pace of a person typing are supplied here.
 */
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const OPERATORS = readFileSync(join(ROOT, 'docs', 'operators.md'), 'utf8');
const CLI = join(ROOT, 'dist', 'apps', 'cli', 'src', 'main.js');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const STEP = '@@@step';

/** The fenced `lang` blocks of the section under `heading`, up to the next `## `. */
function fenced(doc: string, heading: string, lang: string): string[] {
  const start = doc.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`no section "${heading}"`);
  const rest = doc.slice(start + heading.length + 2);
  const end = rest.search(/^## /m);
  const section = end < 0 ? rest : rest.slice(0, end);
  return [...section.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]);
}

/** The doc's inline code span that starts with `prefix`. */
function inline(doc: string, prefix: string): string {
  const prose = doc.replace(/```[\s\S]*?```/g, '');
  const span = [...prose.matchAll(/`([^`]+)`/g)].map((m) => m[1]).find((c) => c.startsWith(prefix));
  if (!span) throw new Error(`no \`${prefix}...\` in the doc`);
  return span;
}

/** Replaces what must be there: a doc that no longer has it fails here rather than passing vacuously. */
function replaceOnce(text: string, from: string | RegExp, to: string): string {
  if (typeof from === 'string' ? !text.includes(from) : !from.test(text)) throw new Error(`not in the doc: ${from}`);
  return text.replace(from, to);
}

/** SQL statements of a block, `<wid>` filled in. */
const statements = (sql: string, wid: string) =>
  sql
    .split(/;\s*(?:--[^\n]*)?\n/)
    .map((s) => s.trim())
    .filter((s) => s.replace(/--[^\n]*/g, '').trim())
    .map((s) => s.replaceAll("'<wid>'", `'${wid}'`));

/** Runs a script in one bash session (stderr with stdout); returns each step's output by name. */
function bash(script: string, env: NodeJS.ProcessEnv): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['--noprofile', '--norc'], { cwd: scratchDir('e2e', `docs-${Date.now()}`), env });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('exit', () => {
      clearTimeout(timer);
      const steps = new Map<string, string>();
      for (const section of out.split(new RegExp(`^${STEP} `, 'm')).slice(1)) {
        const nl = section.indexOf('\n');
        steps.set(section.slice(0, nl), section.slice(nl + 1));
      }
      if (!steps.has('END')) reject(new Error(`the script did not finish; it printed:\n${out}`));
      else resolve(steps);
    });
    child.stdin.end(`exec 2>&1\n${script}\nwait\nprintf '\\n${STEP} END\\n'\n`);
  });
}

/** Waits up to 20 s for `probe` to succeed, as a person waits for an answer before typing on. */
const pace = (probe: string) => `for _ in $(seq 100); do ${probe} && break; sleep 0.2; done`;

const mark = (name: string) => `printf '\\n${STEP} ${name}\\n'`;

function output(steps: Map<string, string>, name: string) {
  const text = steps.get(name);
  if (text === undefined) throw new Error(`step ${name} printed nothing: ${JSON.stringify([...steps])}`);
  const items = printed(text);
  return { text, json: jsonValues(items), lines: textLines(items) };
}

describe('the docs a newcomer types, run as written (e2e)', () => {
  let stack: Stack;
  let api: Api;
  let env: NodeJS.ProcessEnv;
  let host: string;

  beforeAll(async () => {
    stack = await Stack.start({ name: 'docs' });
    api = new Api(stack.baseUrl);
    host = new URL(stack.baseUrl).host;
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LC_ALL: 'C.UTF-8',
      GATEHOUSE_URL: stack.baseUrl,
      DATABASE_URL: stack.db.url,
    };
  }, 120_000);

  afterAll(() => stack?.stop(), 60_000);

  const withHost = (bashText: string) =>
    replaceOnce(bashText, 'localhost:3001', host).replaceAll('localhost:3001', host);

  it('README "Using it": intent, run, its plan gate, a yes, SUCCESS; the SQL answers it', async () => {
    const [walk, , sql] = [...fenced(README, '## Using it', 'bash'), ...fenced(README, '## Using it', 'sql')];
    let script = withHost(walk);
    // The person pastes the id step 1 printed.
    script = replaceOnce(
      script,
      /^WID=5f0c\.\.\..*$/m,
      `WID=$(grep -o '"intentId":"[^"]*"' "$OUT" | tail -1 | cut -d'"' -f4)`,
    );
    // A person reads each answer before typing on: the run is at its gate before step 3, and has
    // ended before step 5.
    const base = `http://${host}`;
    script = replaceOnce(script, /^# 3\./m, `${pace(`curl -s "${base}/api/runs/$WID/gates" | grep -q PENDING`)}\n# 3.`);
    script = replaceOnce(
      script,
      /^# 5\./m,
      `${pace(`curl -s "${base}/api/runs/$WID" | grep -Eq '"status":"(SUCCESS|ERROR)"'`)}\n# 5.`,
    );
    script = script.replace(/^# (\d)\..*$/gm, (line, n) => `${mark(n)}\n${line}`);
    // Step 1's answer must be readable by the paste above: the session writes to a file, shown after.
    const steps = await bash(`OUT=$PWD/session.out\n(exec >"$OUT" 2>&1\n${script}\nwait)\ncat "$OUT"`, env);

    const [intent] = output(steps, '1').json;
    expect(intent).toEqual({ intentId: expect.stringMatching(UUID) });
    const wid: string = intent.intentId;
    expect(output(steps, '2').json).toEqual([{ workflowID: wid }]);
    const [run, gates] = output(steps, '3').json;
    expect(run).toMatchObject({ workflowID: wid, status: 'PENDING', nextAction: 'APPROVE_PLAN' });
    expect(gates).toEqual([expect.objectContaining({ gateKey: 'approve-plan', state: 'PENDING' })]);
    const afterReply = [...output(steps, '4').json, ...output(steps, '5').json];
    expect(afterReply).toContainEqual({ ok: true, state: 'RECEIVED', duplicate: false });
    // The long-poll of step 3 printed the gate once it was decided.
    expect(afterReply).toContainEqual(expect.objectContaining({ gateKey: 'approve-plan', state: 'RECEIVED' }));
    expect(output(steps, '5').json.at(-1)).toMatchObject({
      workflowID: wid,
      status: 'SUCCESS',
      lastStep: 'ExecuteST',
      tasks: { total: 5, done: 5 },
    });

    // Step 4's comments: the same request again is a replay; another payload under its key a conflict.
    const reply = (choice: string) =>
      api.post(`/api/runs/${wid}/gates/approve-plan/reply`, {
        payload: { choice, rationale: 'reviewed' },
        dedupeKey: 'alice-1',
      });
    expect((await reply('yes')).body).toEqual({ ok: true, state: 'RECEIVED', duplicate: true });
    const conflict = await reply('no');
    expect([conflict.status, conflict.body.error]).toEqual([409, 'DEDUPE_CONFLICT']);

    const answers = [];
    for (const q of statements(sql, wid)) answers.push(await stack.db.query<any>(q));
    expect(answers).toHaveLength(3);
    expect(answers[0]).toEqual([expect.objectContaining({ dedupe_key: 'alice-1', actor: 'anonymous' })]);
    expect(answers[1].map((r: any) => r.key)).toEqual(
      expect.arrayContaining(['ui:approve-plan', 'ui:approve-plan:result', 'decision:approve-plan']),
    );
    expect(answers[2]).toEqual(
      ['CompileST', 'ApplyPatchST', 'DecideST', 'ExecuteST'].map((step_id) => ({
        step_id,
        attempt: 1,
        status: 'SUCCEEDED',
      })),
    );
  });

  it('README "Other ways to answer a gate": the legacy bridge and the external receiver', async () => {
    const block = fenced(README, '## Using it', 'bash')[1];
    // Each way is its comment and the command after it; the JetStream line is a comment only.
    const ways = block.split(/^(?=# )/m).filter((w) => w.includes('curl'));
    expect(ways).toHaveLength(2);
    const recorded = [];
    for (const way of ways) {
      const wid = await startRun(api);
      await planGateOpen(api, wid);
      const steps = await bash(`WID=${wid}\n${mark('way')}\n${withHost(way)}`, env);
      expect(output(steps, 'way').json).toEqual([{ ok: true, state: 'RECEIVED', duplicate: false }]);
      recorded.push(
        ...(await stack.db.query<any>(
          `SELECT actor, origin, payload->>'choice' AS choice FROM gates.human_interactions WHERE workflow_id = $1`,
          [wid],
        )),
      );
    }
    // The bridge records the caller, not approvedBy; the receiver its origin.
    expect(recorded).toEqual([
      { actor: 'anonymous', origin: 'bridge', choice: 'yes' },
      { actor: 'anonymous', origin: 'pagerduty', choice: 'no' },
    ]);
  });

  it('docs/operators.md: pending, show, pause, approve, resume, watch, oracle with the CLI; its SQL answers', async () => {
    const wid = await startRun(api);
    await planGateOpen(api, wid);
    const commands = [
      'gatehouse pending --mine',
      'gatehouse show <wid> approve-plan',
      'gatehouse pause <wid>',
      'gatehouse approve <wid> --rationale',
      'gatehouse resume <wid>',
      'gatehouse watch <wid> --exit-status',
      'gatehouse oracle',
    ].map((prefix) => inline(OPERATORS, prefix).replaceAll('<wid>', '$WID'));
    const script = [`gatehouse() { node ${JSON.stringify(CLI)} "$@"; }`, `WID=${wid}`]
      .concat(commands.flatMap((c, i) => [mark(String(i)), `${c}; echo "exit $?"`]))
      .join('\n');
    const steps = await bash(script, env);
    const ran = commands.map((_, i) => output(steps, String(i)));
    for (const [i, step] of ran.entries())
      expect({ command: commands[i], last: step.lines.at(-1) }).toEqual({
        command: commands[i],
        last: 'exit 0',
      });
    expect(ran[0].text).toContain(wid);
    expect(ran[1].text).toMatch(/^plan hash\s+[0-9a-f]{64}$/m);
    expect(ran[2].text).toContain(`run ${wid} paused`);
    expect(ran[3].text).toContain(`recorded on approve-plan of run ${wid}`);
    expect(ran[4].text).toContain(`run ${wid} resumed`);
    expect(ran[5].text).toContain('SUCCESS');
    expect(ran[6].text).toMatch(/^selfApprovals\s+ok$/m);

    const answers = [];
    for (const q of statements(fenced(OPERATORS, '## Evening: proving what happened', 'sql')[0], wid))
      answers.push(await stack.db.query<any>(q));
    expect(answers).toHaveLength(4);
    const [events, ledger, control, deliveries] = answers;
    const decision = events.find((e: any) => e.key === 'decision:approve-plan');
    expect(decision.value).toMatchObject({ decision: 'approve', planHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(events[0].key).toBe('ui:approve-plan');
    expect(ledger).toEqual([
      expect.objectContaining({
        actor: 'anonymous',
        origin: 'rest',
        payload: expect.objectContaining({ rationale: '…' }),
      }),
    ]);
    expect(control.map((r: any) => [r.action, r.reason])).toEqual([
      ['pause', 'change freeze'],
      ['resume', 'freeze over'],
    ]);
    expect(deliveries).toEqual([]); // no webhook endpoint here: the query runs and finds none
  });
});
