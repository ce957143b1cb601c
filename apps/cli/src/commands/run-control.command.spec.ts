import { runCli } from '../program';
import { FixtureApi } from '../test/fixture-api';
import { memoryIo } from '../test/memory-io';

const WID = '6f1c2a9e-0000-4000-8000-000000000002';

/** The answer of POST /api/runs/:wid/{pause,resume,cancel} (DESIGN section 12). */
const result = (action: string, status: string, paused: boolean, changed = true) => ({
  workflowID: WID,
  action,
  changed,
  status,
  paused,
});

describe('gatehouse pause / resume / cancel', () => {
  let api: FixtureApi;
  const env = () => ({ GATEHOUSE_URL: api.url, GATEHOUSE_TOKEN: 'ghk_ops' });

  beforeAll(async () => {
    api = await FixtureApi.start();
  });
  afterEach(() => api.reset());
  afterAll(() => api.stop());

  it.each([
    ['pause', result('pause', 'PENDING', true), 'paused (status PENDING, paused)'],
    ['resume', result('resume', 'PENDING', false), 'resumed (status PENDING)'],
  ])('%s posts the reason and reports the run', async (action, answer, done) => {
    api.on('POST', `/api/runs/${WID}/${action}`, { status: 200, body: answer });
    const io = memoryIo(env());
    expect(await runCli([action, WID, '--reason', 'db maintenance'], io)).toBe(0);
    expect(api.requests).toHaveLength(1);
    expect(api.requests[0].body).toEqual({ reason: 'db maintenance' });
    expect(io.stdout).toEqual([`run ${WID} ${done}`]);

    const json = memoryIo(env());
    expect(await runCli([action, WID, '--reason', 'db maintenance', '--json'], json)).toBe(0);
    expect(JSON.parse(json.stdout[0])).toEqual(answer);
  });

  it('sends the token, or under AUTH_MODE=off the --as / GATEHOUSE_ACTOR name, and never both from nowhere', async () => {
    api.on('POST', `/api/runs/${WID}/pause`, { status: 200, body: result('pause', 'PENDING', true) });
    await runCli(['pause', WID, '--reason', 'x', '--as', 'alice'], memoryIo({ GATEHOUSE_URL: api.url }));
    await runCli(['pause', WID, '--reason', 'x'], memoryIo({ GATEHOUSE_URL: api.url, GATEHOUSE_ACTOR: 'bob' }));
    await runCli(['pause', WID, '--reason', 'x', '--token', 'ghk_flag'], memoryIo(env()));
    await runCli(['pause', WID, '--reason', 'x'], memoryIo({ GATEHOUSE_URL: api.url }));
    expect(api.requests.map((r) => [r.headers['x-gatehouse-actor'], r.headers.authorization])).toEqual([
      ['alice', undefined],
      ['bob', undefined],
      [undefined, 'Bearer ghk_flag'],
      [undefined, undefined],
    ]);
  });

  it('requires a non-blank --reason (2, nothing sent)', async () => {
    expect(await runCli(['pause', WID], memoryIo(env()))).toBe(2);
    expect(await runCli(['pause', WID, '--reason', '  '], memoryIo(env()))).toBe(2);
    expect(api.requests).toHaveLength(0);
  });

  it('cancel asks on a terminal: "n" sends nothing (1), "y" cancels; --yes skips the question', async () => {
    api.on('POST', `/api/runs/${WID}/cancel`, { status: 200, body: result('cancel', 'CANCELLED', false) });
    const no = memoryIo(env(), { tty: true, answers: ['n'] });
    expect(await runCli(['cancel', WID, '--reason', 'wrong target'], no)).toBe(1);
    expect(no.questions[0]).toContain(`Cancel run ${WID}?`);
    expect(no.stderr).toEqual(['error: not confirmed: nothing was done']);
    expect(api.requests).toHaveLength(0);

    const yes = memoryIo(env(), { tty: true, answers: ['y'] });
    expect(await runCli(['cancel', WID, '--reason', 'wrong target'], yes)).toBe(0);
    expect(api.requests.map((r) => r.body)).toEqual([{ reason: 'wrong target' }]);
    expect(yes.stdout).toEqual([`run ${WID} cancelled (status CANCELLED)`]);

    api.on('POST', `/api/runs/${WID}/cancel`, { status: 200, body: result('cancel', 'CANCELLED', false, false) });

    const skip = memoryIo(env(), { tty: true });
    expect(await runCli(['cancel', WID, '--reason', 'wrong target', '--yes'], skip)).toBe(0);
    expect(skip.questions).toEqual([]);
    expect(skip.stdout).toEqual([`run ${WID} was already cancelled (status CANCELLED)`]);
  });

  it('cancel without a terminal needs --yes (2, nothing sent)', async () => {
    const io = memoryIo(env());
    expect(await runCli(['cancel', WID, '--reason', 'x'], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain('--yes');
    expect(api.requests).toHaveLength(0);
  });

  it.each([
    [403, 'RUN_CONTROL_FORBIDDEN', 'only an operator, an admin or the requester may control this run', 4],
    [404, 'RUN_NOT_FOUND', 'no such run', 3],
    [409, 'RUN_FINISHED', 'the run has already ended', 5],
    [503, 'SERVICE_UNAVAILABLE', 'the runs service did not answer', 1],
  ])('a %i %s refusal maps to its exit code', async (status, code, message, exit) => {
    api.on('POST', `/api/runs/${WID}/pause`, { status, body: { error: code, message } });
    const io = memoryIo(env());
    expect(await runCli(['pause', WID, '--reason', 'x', '--json'], io)).toBe(exit);
    expect(io.stderr).toEqual([`error: ${status} ${code}: ${message}`]);
    expect(io.stdout).toEqual([]);
  });
});
