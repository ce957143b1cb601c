import { generateApiKey } from '@gatehouse/identity';
import { Stack } from '../tools/test-support/stack';
import { Api, bearer, eventually } from './support/http';
import { rowCounts, settledRowCounts } from './support/row-counts';
import { planGateOpen, startRun } from './support/scenario';

/** GET /api/gates (DESIGN section 14) over the real processes, with two principals under AUTH_MODE=required. */
describe('the operators inbox (e2e)', () => {
  const bootstrapKey = generateApiKey();
  let stack: Stack;
  let admin: Api;
  let alice: Api;
  let bob: Api;
  let aliceId: string;
  let bobId: string;
  /** Runs by who started them, in the order their plan gates opened. */
  const started: { wid: string; by: 'alice' | 'bob'; recipe: string; partition: string }[] = [];

  const runOf = (api: Api, recipe: string, partition: string) =>
    startRun(api, { recipeName: recipe, queuePartitionKey: partition });

  beforeAll(async () => {
    stack = await Stack.start({
      name: 'inbox',
      env: { AUTH_MODE: 'required', AUTH_BOOTSTRAP_ADMIN_KEY: bootstrapKey },
    });
    admin = new Api(stack.baseUrl, bearer(bootstrapKey));
    const a = await admin.post('/api/keys', { name: 'alice', roles: ['reviewer'] });
    const b = await admin.post('/api/keys', { name: 'bob', roles: ['deployer'] });
    expect([a.status, b.status]).toEqual([201, 201]);
    [alice, bob] = [new Api(stack.baseUrl, bearer(a.body.key)), new Api(stack.baseUrl, bearer(b.body.key))];
    [aliceId, bobId] = [`key:${a.body.id}`, `key:${b.body.id}`];
    // One at a time, so that the gates' deadlines come in this order.
    const plan: [Api, 'alice' | 'bob', string, string][] = [
      [alice, 'alice', 'agent-plan', 'tenant-a'],
      [bob, 'bob', 'compile-default', 'tenant-b'],
      [alice, 'alice', 'compile-default', 'tenant-a'],
      [bob, 'bob', 'agent-plan', 'tenant-b'],
      [alice, 'alice', 'data-migration', 'tenant-c'],
    ];
    for (const [api, by, recipe, partition] of plan) {
      const wid = await runOf(api, recipe, partition);
      await planGateOpen(admin, wid);
      started.push({ wid, by, recipe, partition });
    }
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const ids = (page: { items: { workflowId: string }[] }) => page.items.map((i) => i.workflowId);

  it('lists pending gates across runs by deadline, each with its run summary, title, risk and approvals', async () => {
    const res = await admin.get('/api/gates');
    expect(res.status).toBe(200);
    expect(ids(res.body)).toEqual(started.map((s) => s.wid));
    expect(res.body.nextCursor).toBeNull();
    const deadlines = res.body.items.map((i: any) => Date.parse(i.deadlineAt));
    expect([...deadlines].sort((x, y) => x - y)).toEqual(deadlines);
    const first = res.body.items[0];
    expect(first).toMatchObject({
      workflowId: started[0].wid,
      gateKey: 'approve-plan',
      state: 'PENDING',
      riskLevel: expect.any(String),
      approvals: { count: 0, required: expect.any(Number) },
      run: {
        goal: 'ship the plan',
        recipe: 'agent-plan',
        partition: 'tenant-a',
        requestedBy: aliceId,
        status: 'PENDING',
      },
    });
    expect(first.title).toContain('ship the plan');
    expect(res.body.items[1].run.requestedBy).toBe(bobId);
    const gate = await admin.get(`/api/runs/${started[0].wid}/gates/approve-plan`);
    expect(first.deadlineAt).toBe(gate.body.deadlineAt);
    expect(first.approvals.required).toBe(gate.body.requiredApprovals);
  });

  it('filters by recipe, partition, risk level and age', async () => {
    const byRecipe = await admin.get('/api/gates?recipe=compile-default');
    expect(ids(byRecipe.body)).toEqual(started.filter((s) => s.recipe === 'compile-default').map((s) => s.wid));
    const byPartition = await admin.get('/api/gates?partition=tenant-b');
    expect(ids(byPartition.body)).toEqual(started.filter((s) => s.partition === 'tenant-b').map((s) => s.wid));
    const both = await admin.get('/api/gates?partition=tenant-a&recipe=agent-plan');
    expect(ids(both.body)).toEqual([started[0].wid]);
    // The policy engine records each gate's level; here one gate is raised to critical by hand.
    await stack.db.query(`UPDATE gates.gates SET risk_level = 'critical' WHERE workflow_id = $1`, [started[3].wid]);
    expect(ids((await admin.get('/api/gates?riskLevel=critical')).body)).toEqual([started[3].wid]);
    expect(ids((await admin.get('/api/gates?riskLevel=low')).body)).toEqual([]);
    expect(ids((await admin.get('/api/gates?olderThanS=0')).body)).toHaveLength(started.length);
    expect(ids((await admin.get('/api/gates?olderThanS=3600')).body)).toEqual([]);
    await new Promise((r) => setTimeout(r, 1100));
    expect(ids((await admin.get('/api/gates?olderThanS=1')).body)).toEqual(started.map((s) => s.wid));
  });

  it('mine=true: only gates the caller may decide (its roles, never its own runs)', async () => {
    // Only the deployer role may decide the last run's gate (the policy engine stores this at open).
    await stack.db.query(`UPDATE gates.gates SET allowed_roles = '{deployer}' WHERE workflow_id = $1`, [
      started[4].wid,
    ]);
    const aliceMine = await alice.get('/api/gates?mine=true');
    expect(ids(aliceMine.body)).toEqual(started.filter((s) => s.by === 'bob').map((s) => s.wid));
    const bobMine = await bob.get('/api/gates?mine=true');
    expect(ids(bobMine.body)).toEqual(started.filter((s) => s.by === 'alice').map((s) => s.wid));
    // A gate that allows self-approval is the requester's to decide too.
    await stack.db.query(`UPDATE gates.gates SET self_approval_allowed = true WHERE workflow_id = $1`, [
      started[0].wid,
    ]);
    expect(ids((await alice.get('/api/gates?mine=true')).body)).toEqual(
      [started[0], ...started.filter((s) => s.by === 'bob')].map((s) => s.wid),
    );
    // Without mine, everyone sees every gate.
    expect(ids((await alice.get('/api/gates?mine=false')).body)).toHaveLength(started.length);
  });

  it('pages with an opaque cursor, losing and repeating nothing while new gates open', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    const late: string[] = [];
    do {
      const res: { status: number; body: any } = await admin.get(
        `/api/gates?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...ids(res.body));
      cursor = res.body.nextCursor;
      // New gates open between pages: their deadlines are later, so they come at the end, once.
      if (pages++ < 2) {
        const wid = await runOf(bob, 'compile-default', 'tenant-d');
        await planGateOpen(admin, wid);
        late.push(wid);
      }
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...started.map((s) => s.wid), ...late]);
    expect(pages).toBeGreaterThanOrEqual(4);
  }, 60_000);

  it('lists decided gates by state', async () => {
    const wid = started[1].wid;
    const reply = await alice.post(`/api/runs/${wid}/gates/approve-plan/reply`, {
      payload: { choice: 'yes', rationale: 'fine' },
      dedupeKey: `inbox-${wid}`,
    });
    expect(reply.status).toBe(200);
    await eventually(async () => {
      const res = await admin.get('/api/gates?state=RECEIVED');
      return ids(res.body).includes(wid) ? true : undefined;
    });
    expect(ids((await admin.get('/api/gates')).body)).not.toContain(wid);
    const received = await admin.get('/api/gates?state=RECEIVED');
    expect(received.body.items[0]).toMatchObject({ workflowId: wid, state: 'RECEIVED' });
  });

  it('refuses bad parameters with 400 and a stable code, writing nothing', async () => {
    // The run approved above goes on in the background.
    const before = await settledRowCounts(stack.db);
    const cases: [string, string][] = [
      ['limit=0', 'INVALID_LIMIT'],
      ['limit=201', 'INVALID_LIMIT'],
      ['limit=1.5', 'INVALID_LIMIT'],
      ['limit=abc', 'INVALID_LIMIT'],
      ['limit=', 'INVALID_LIMIT'],
      ['cursor=nope', 'INVALID_CURSOR'],
      [`cursor=${Buffer.from('["x","y","z"]').toString('base64url')}`, 'INVALID_CURSOR'],
      ['cursor=', 'INVALID_CURSOR'],
      ['state=OPEN', 'INVALID_FILTER'],
      ['riskLevel=extreme', 'INVALID_FILTER'],
      ['recipe=Bad%20Name', 'INVALID_FILTER'],
      ['partition=a%20b', 'INVALID_FILTER'],
      ['olderThanS=-1', 'INVALID_FILTER'],
      ['olderThanS=1e3', 'INVALID_FILTER'],
      ['mine=yes', 'INVALID_FILTER'],
      ['limit=5&limit=6', 'INVALID_FILTER'],
      ['riskLvl=high', 'INVALID_FILTER'],
    ];
    for (const [query, code] of cases) {
      const res = await admin.get(`/api/gates?${query}`);
      expect({ query, status: res.status, error: res.body.error }).toEqual({ query, status: 400, error: code });
    }
    expect(await rowCounts(stack.db)).toEqual(before);
  });

  it('needs a principal like every /api route', async () => {
    const res = await new Api(stack.baseUrl).get('/api/gates');
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('UNAUTHENTICATED');
  });
});
