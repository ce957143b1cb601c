import { createTestDatabase, type TestDatabase } from '../../test-support/database';
import { startNatsServer, type NatsServerHandle } from '../../test-support/nats-server';
import { runFloorPhase } from './floor-phase';
import { FloorStack } from './floor-stack';

/** The contract floor's processes (compiled, from dist/) on real Postgres and a private nats-server. */
describe('contract floor bench', () => {
  let db: TestDatabase;
  let nats: NatsServerHandle;
  let stack: FloorStack | undefined;

  beforeAll(async () => {
    [db, nats] = await Promise.all([createTestDatabase('floor'), startNatsServer('floor')]);
    stack = await FloorStack.start(db.url, nats.url);
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await nats?.stop();
    await db?.drop();
  }, 60_000);

  it('records each reply once and delivers its decision once to each consumer, closed and open loop', async () => {
    const closed = await runFloorPhase(stack!, { replies: 40, concurrency: 4, natsPid: nats.pid });
    expect(closed).toMatchObject({ mode: 'closed c=4', replies: 40, accepted: 40, errorsByStatus: {} });
    expect(closed.checks).toEqual({
      ledgerRows: 40,
      acceptedReplies: 40,
      effects: { runs: 40, escalation: 40 },
      unpublishedOutboxRows: 0,
      ok: true,
    });
    expect(closed.latencyMs.count).toBe(40);
    // Every watched process used some CPU for the replies: the floor's four, nats-server, Postgres.
    for (const p of ['floor-gateway', 'floor-gates', 'floor-runs', 'floor-escalation', 'nats-server'])
      expect(Object.keys(closed.cpuMsPerReply)).toContain(p);

    const open = await runFloorPhase(stack!, { replies: 20, concurrency: 4, ratePerS: 50 });
    expect(open).toMatchObject({ mode: '50/s', accepted: 20, errorsByStatus: {} });
    expect(open.checks).toMatchObject({ ledgerRows: 60, effects: { runs: 60, escalation: 60 }, ok: true });
  }, 60_000);

  it('answers 409 to a second reply to a closed gate and 400 to a malformed one, writing nothing', async () => {
    const [wid] = await stack!.seedGates(1);
    const post = (body: unknown) =>
      fetch(`${stack!.baseUrl}${stack!.replyPath(wid)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const before = await stack!.ledgerRows();
    expect((await post({ payload: { choice: 'yes' }, dedupeKey: 'k1' })).status).toBe(200);
    const again = await post({ payload: { choice: 'no' }, dedupeKey: 'k2' });
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual({ error: 'GATE_CLOSED' });
    const bad = await post({ payload: {}, dedupeKey: 'k3' });
    expect(bad.status).toBe(400);
    expect(await stack!.ledgerRows()).toBe(before + 1);
  }, 30_000);
});
