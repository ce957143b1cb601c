import { runCli } from '../program';
import { FixtureApi } from '../test/fixture-api';
import { memoryIo } from '../test/memory-io';

/** An inbox item as GET /api/gates answers it (DESIGN section 14). */
const item = (over: Record<string, unknown> = {}) => ({
  workflowId: '6f1c2a9e-0000-4000-8000-000000000001',
  gateKey: 'approve-plan',
  state: 'PENDING',
  title: 'Approve the deploy plan: roll out payments v2',
  riskLevel: 'critical',
  approvals: { count: 1, required: 2 },
  deadlineAt: '2026-12-06T08:30:00.000Z',
  openedAt: '2026-12-06T07:30:00.000Z',
  run: {
    goal: 'roll out payments v2',
    recipe: 'deploy',
    partition: 'tenant-a',
    requestedBy: 'alice',
    status: 'PENDING',
  },
  ...over,
});

describe('gatehouse pending (the inbox)', () => {
  let api: FixtureApi;
  const env = () => ({ GATEHOUSE_URL: api.url, GATEHOUSE_TOKEN: 'ghk_test_token' });

  beforeAll(async () => {
    api = await FixtureApi.start();
  });
  afterEach(() => api.reset());
  afterAll(() => api.stop());

  it('sends every filter as the API names it, with the token', async () => {
    api.on('GET', '/api/gates', { status: 200, body: { items: [], nextCursor: null } });
    const io = memoryIo(env());
    const code = await runCli(
      [
        'pending',
        '--state',
        'TIMED_OUT',
        '--recipe',
        'deploy',
        '--risk',
        'critical',
        '--partition',
        'tenant-a',
        '--older-than',
        '2h',
        '--mine',
        '--limit',
        '10',
      ],
      io,
    );
    expect(code).toBe(0);
    const [req] = api.requests;
    expect(Object.fromEntries(req.url.searchParams)).toEqual({
      state: 'TIMED_OUT',
      recipe: 'deploy',
      riskLevel: 'critical',
      partition: 'tenant-a',
      olderThanS: '7200',
      mine: 'true',
      limit: '10',
    });
    expect(req.headers.authorization).toBe('Bearer ghk_test_token');
    expect(io.stdout).toEqual(['no gates waiting']);
  });

  it('prints a table: run, gate, title, risk, approvals x/y and a deadline countdown', async () => {
    api.on('GET', '/api/gates', {
      status: 200,
      body: {
        items: [
          item(),
          item({
            gateKey: 'approve-plan-e2',
            riskLevel: 'low',
            approvals: { count: 0, required: 1 },
            deadlineAt: '2026-12-06T07:55:00.000Z',
          }),
        ],
        nextCursor: 'opaque-2',
      },
    });
    const io = memoryIo(env());
    expect(await runCli(['pending'], io)).toBe(0);
    expect(io.stdout[0]).toMatch(/^RUN\s+GATE\s+TITLE\s+RISK\s+APPROVALS\s+DEADLINE$/);
    expect(io.stdout[1]).toMatch(
      /^6f1c2a9e-0000-4000-8000-000000000001\s+approve-plan\s+Approve the deploy plan: roll out payme…\s+critical\s+1\/2\s+in 30m$/,
    );
    expect(io.stdout[2]).toMatch(/approve-plan-e2\s+.*\s+low\s+0\/1\s+overdue 5m$/);
    expect(io.stdout.join('\n')).not.toContain('\x1b[');
    expect(io.stderr).toContain('more gates: gatehouse pending --cursor opaque-2 (or --all)');
  });

  it('--json prints the page and nothing else on stdout; --all follows the cursor', async () => {
    api.on('GET', '/api/gates', (req) =>
      req.url.searchParams.get('cursor') === 'p2'
        ? { status: 200, body: { items: [item({ gateKey: 'second' })], nextCursor: null } }
        : { status: 200, body: { items: [item()], nextCursor: 'p2' } },
    );
    const one = memoryIo(env());
    expect(await runCli(['pending', '--json'], one)).toBe(0);
    expect(one.stdout).toHaveLength(1);
    expect(JSON.parse(one.stdout[0])).toEqual({ items: [item()], nextCursor: 'p2' });

    api.requests.length = 0;
    const all = memoryIo(env());
    expect(await runCli(['pending', '--all', '--json'], all)).toBe(0);
    expect(api.requests.map((r) => r.url.searchParams.get('cursor'))).toEqual([null, 'p2']);
    expect(JSON.parse(all.stdout[0]).items.map((i: any) => i.gateKey)).toEqual(['approve-plan', 'second']);
  });

  it('colours only on a terminal, and never with NO_COLOR', async () => {
    api.on('GET', '/api/gates', { status: 200, body: { items: [item()], nextCursor: null } });
    const tty = memoryIo(env(), { tty: true });
    await runCli(['pending'], tty);
    expect(tty.stdout.join('\n')).toContain('\x1b[31mcritical\x1b[39m');
    const noColour = memoryIo({ ...env(), NO_COLOR: '1' }, { tty: true });
    await runCli(['pending'], noColour);
    expect(noColour.stdout.join('\n')).not.toContain('\x1b[');
  });

  it('refuses a bad --older-than before asking the API (2), and shows the API code of a refusal', async () => {
    const io = memoryIo(env());
    expect(await runCli(['pending', '--older-than', '30'], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain('--older-than must be a duration');
    expect(api.requests).toHaveLength(0);

    api.on('GET', '/api/gates', {
      status: 400,
      body: { error: 'VALIDATION_FAILED', message: 'limit must be an integer from 1 to 200' },
    });
    const refused = memoryIo(env());
    expect(await runCli(['pending', '--limit', '500'], refused)).toBe(2);
    expect(refused.stderr).toEqual(['error: 400 VALIDATION_FAILED: limit must be an integer from 1 to 200']);
    expect(refused.stdout).toEqual([]);

    api.on('GET', '/api/gates', {
      status: 401,
      body: { error: 'UNAUTHENTICATED', message: 'a credential is required' },
    });
    const anon = memoryIo({ GATEHOUSE_URL: api.url });
    expect(await runCli(['pending'], anon)).toBe(4);
    expect(api.requests[api.requests.length - 1].headers.authorization).toBeUndefined();
  });
});
