import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { subjects } from '@gatehouse/contracts';
import {
  memoryLogger,
  recordingJetStream,
  startInfra,
  waitFor,
  countOnSubject,
  type Infra,
} from '../../test/messaging-fixtures';
import { STREAMS } from '../jetstream/definitions';
import { provisionStreams } from '../jetstream/provision';
import { writeOutbox } from './outbox-message';
import { OUTBOX_CLAIM_SETTINGS, OutboxRelay, outboxClaimQuery } from './outbox-relay';

/**
 * The transactional outbox of DESIGN section 6 against a real Postgres and a private nats-server:
 * what commits is published once with Nats-Msg-Id = msg_id, what rolls back never is, and a
 * re-publish is dropped by the stream's duplicate window.
 */
describe('OutboxRelay (real Postgres + private nats-server)', () => {
  const SCHEMA = 'runs';
  const EVENTS = STREAMS.events.name;
  let infra: Infra;
  const relays: OutboxRelay[] = [];

  beforeAll(async () => {
    infra = await startInfra('outbox_relay');
    await provisionStreams(infra.nc);
    // A fact table for the tests, written in the same transaction as its outbox row.
    await infra.db.query('CREATE TABLE public.facts (id text PRIMARY KEY, body jsonb NOT NULL)');
  });

  afterEach(async () => {
    await Promise.all(relays.splice(0).map((r) => r.stop()));
  });

  afterAll(async () => {
    await infra?.stop();
  });

  function newRelay(opts: { js?: Infra['js']; ds?: Infra['ds']; sweepIntervalMs?: number; batchSize?: number } = {}) {
    const log = memoryLogger();
    const relay = new OutboxRelay(opts.ds ?? infra.ds, SCHEMA, opts.js ?? infra.js, log, {
      sweepIntervalMs: opts.sweepIntervalMs ?? 100,
      batchSize: opts.batchSize,
    });
    relays.push(relay);
    return { relay, log };
  }

  /** Records a fact and announces it, in one transaction. */
  async function recordFact(wid: string, version: number, body: object, headers?: Record<string, string>) {
    const msgId = `run-updated:${wid}:${version}`;
    await infra.ds.transaction(async (tx) => {
      await tx.query('INSERT INTO public.facts (id, body) VALUES ($1, $2)', [msgId, JSON.stringify(body)]);
      await writeOutbox(tx, SCHEMA, [{ msgId, subject: subjects.runUpdated(wid), payload: body, headers }]);
    });
    return msgId;
  }

  const outboxRow = async (msgId: string) =>
    (
      await infra.db.query<{ published_at: Date | null; attempts: number; last_error: string | null }>(
        `SELECT published_at, attempts, last_error FROM ${SCHEMA}.outbox WHERE msg_id = $1`,
        [msgId],
      )
    )[0];

  const published = (msgId: string) =>
    waitFor(async () => (await outboxRow(msgId))?.published_at, `${msgId} published`);
  const onSubject = (wid: string) => countOnSubject(infra.jsm, EVENTS, subjects.runUpdated(wid));

  it('publishes a committed row once, with Nats-Msg-Id = msg_id, its headers and its payload', async () => {
    const { js, publishes } = recordingJetStream(infra.js);
    const { relay } = newRelay({ js });
    relay.start();
    const wid = randomUUID();
    const body = { runId: wid, status: 'RUNNING', nested: { b: [1, 2], a: null } };
    const msgId = await recordFact(wid, 1, body, { 'x-correlation-id': 'corr-1' });
    relay.kick();
    await published(msgId);

    const mine = publishes.filter((p) => p.msgId === msgId);
    expect(mine).toHaveLength(1);
    expect(mine[0].ack?.duplicate).toBe(false);
    const stored = await infra.jsm.streams.getMessage(EVENTS, { seq: mine[0].ack!.seq });
    expect(stored!.subject).toBe(subjects.runUpdated(wid));
    expect(stored!.header.get('Nats-Msg-Id')).toBe(msgId);
    expect(stored!.header.get('x-correlation-id')).toBe('corr-1');
    expect(stored!.json()).toEqual(body);
    expect(await onSubject(wid)).toBe(1);
    expect(await outboxRow(msgId)).toMatchObject({ attempts: 1, last_error: null });
  });

  it('never publishes rows of a rolled-back transaction', async () => {
    const { js, publishes } = recordingJetStream(infra.js);
    const { relay } = newRelay({ js });
    relay.start();
    const wid = randomUUID();
    const msgId = `run-updated:${wid}:1`;
    await expect(
      infra.ds.transaction(async (tx) => {
        await writeOutbox(tx, SCHEMA, [{ msgId, subject: subjects.runUpdated(wid), payload: { n: 1 } }]);
        relay.kick(); // a kick while the row is uncommitted must not see it
        throw new Error('use case failed after writing its outbox row');
      }),
    ).rejects.toThrow('use case failed');

    // A committed row written afterwards is published: the relay has drained past the rolled-back one.
    const later = await recordFact(randomUUID(), 1, { n: 2 });
    relay.kick();
    await published(later);
    await relay.stop();

    expect(await outboxRow(msgId)).toBeUndefined();
    expect(publishes.map((p) => p.msgId)).not.toContain(msgId);
    expect(await onSubject(wid)).toBe(0);
  });

  it('keeps one row for a message id written twice, and publishes it once', async () => {
    const { js, publishes } = recordingJetStream(infra.js);
    const wid = randomUUID();
    const msgId = `run-updated:${wid}:1`;
    const subject = subjects.runUpdated(wid);
    await infra.ds.transaction(async (tx) => {
      // Twice in one statement and once more in the same transaction.
      await writeOutbox(tx, SCHEMA, [
        { msgId, subject, payload: { first: true } },
        { msgId: `run-updated:${wid}:2`, subject, payload: { second: true } },
      ]);
      await writeOutbox(tx, SCHEMA, [{ msgId, subject, payload: { first: false } }]);
    });
    await infra.ds.transaction((tx) => writeOutbox(tx, SCHEMA, [{ msgId, subject, payload: { first: 'again' } }]));

    const rows = await infra.db.query<{ payload: unknown }>(`SELECT payload FROM ${SCHEMA}.outbox WHERE msg_id = $1`, [
      msgId,
    ]);
    expect(rows).toEqual([{ payload: { first: true } }]);

    const { relay } = newRelay({ js });
    relay.start();
    await published(msgId);
    await published(`run-updated:${wid}:2`);
    expect(publishes.filter((p) => p.msgId === msgId)).toHaveLength(1);
    expect(await onSubject(wid)).toBe(2);
  });

  it('keeps the first of two rows with one id inside a single INSERT', async () => {
    const wid = randomUUID();
    const msgId = `run-updated:${wid}:7`;
    await infra.ds.transaction((tx) =>
      writeOutbox(tx, SCHEMA, [
        { msgId, subject: subjects.runUpdated(wid), payload: 1 },
        { msgId, subject: subjects.runUpdated(wid), payload: 2 },
      ]),
    );
    const rows = await infra.db.query(`SELECT payload FROM ${SCHEMA}.outbox WHERE msg_id = $1`, [msgId]);
    expect(rows).toEqual([{ payload: 1 }]);
  });

  it('stores the messages of one write in the order given (the relay publishes by id)', async () => {
    const wid = randomUUID();
    const ids = [3, 1, 2].map((v) => `run-updated:${wid}:${v}`);
    await infra.ds.transaction((tx) =>
      writeOutbox(
        tx,
        SCHEMA,
        ids.map((msgId, i) => ({
          msgId,
          subject: subjects.runUpdated(wid),
          payload: { i },
          headers: { h: String(i) },
        })),
      ),
    );
    const rows = await infra.db.query<{ msg_id: string; payload: unknown; headers: unknown }>(
      `SELECT msg_id, payload, headers FROM ${SCHEMA}.outbox WHERE msg_id = ANY($1) ORDER BY id`,
      [ids],
    );
    expect(rows).toEqual(ids.map((msg_id, i) => ({ msg_id, payload: { i }, headers: { h: String(i) } })));
  });

  it('a row published again after a crash is dropped by the stream duplicate window', async () => {
    const { js, publishes } = recordingJetStream(infra.js);
    const { relay } = newRelay({ js });
    relay.start();
    const wid = randomUUID();
    const msgId = await recordFact(wid, 1, { v: 1 });
    relay.kick();
    await published(msgId);
    const before = (await infra.jsm.streams.info(EVENTS)).state.messages;

    // The relay published but died before its UPDATE committed: the row is unpublished again.
    await infra.db.query(`UPDATE ${SCHEMA}.outbox SET published_at = NULL WHERE msg_id = $1`, [msgId]);
    relay.kick();
    await published(msgId);

    const mine = publishes.filter((p) => p.msgId === msgId);
    expect(mine).toHaveLength(2);
    expect(mine[1].ack?.duplicate).toBe(true);
    expect(mine[1].ack?.seq).toBe(mine[0].ack?.seq);
    expect((await infra.jsm.streams.info(EVENTS)).state.messages).toBe(before);
    expect(await onSubject(wid)).toBe(1);
  });

  it('two relays on one table (two processes) publish each row once', async () => {
    const ds2 = await infra.newDataSource();
    const nc2 = await infra.newConnection();
    const { jetstream } = await import('@nats-io/jetstream');
    // Slow publishes keep each relay's batch locked long enough for the other to run beside it.
    const a = recordingJetStream(infra.js, 5);
    const b = recordingJetStream(jetstream(nc2, { timeout: 5000 }), 5);
    // Small batches so that the two relays interleave many times.
    const r1 = newRelay({ js: a.js, batchSize: 7 }).relay;
    const r2 = newRelay({ js: b.js, ds: ds2, batchSize: 7 }).relay;
    r1.start();
    r2.start();

    const wid = randomUUID();
    const ids: string[] = [];
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const v = batch * 20 + i + 1;
          ids.push(await recordFact(wid, v, { v }));
          (v % 2 ? r1 : r2).kick();
        }),
      );
    }
    await waitFor(async () => {
      const [{ n }] = await infra.db.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${SCHEMA}.outbox WHERE msg_id = ANY($1) AND published_at IS NULL`,
        [ids],
      );
      return n === '0';
    }, 'all rows published');

    const all = [...a.publishes, ...b.publishes].filter((p) => ids.includes(p.msgId!));
    expect(all).toHaveLength(200);
    expect(new Set(all.map((p) => p.msgId)).size).toBe(200);
    expect(all.filter((p) => p.ack?.duplicate)).toEqual([]);
    // Both took part (FOR UPDATE SKIP LOCKED shares the work).
    expect(a.publishes.length).toBeGreaterThan(0);
    expect(b.publishes.length).toBeGreaterThan(0);
    const attempts = await infra.db.query<{ attempts: number }>(
      `SELECT DISTINCT attempts FROM ${SCHEMA}.outbox WHERE msg_id = ANY($1)`,
      [ids],
    );
    expect(attempts).toEqual([{ attempts: 1 }]);
    expect(await onSubject(wid)).toBe(200);
  });

  it('survives a NATS outage: rows written while the server is down are published after it returns', async () => {
    const { relay, log } = newRelay({ sweepIntervalMs: 200 });
    relay.start();
    const wid = randomUUID();
    const first = await recordFact(wid, 1, { v: 1 });
    relay.kick();
    await published(first);

    await infra.nats.stop();
    const during = [await recordFact(wid, 2, { v: 2 }), await recordFact(wid, 3, { v: 3 })];
    relay.kick();
    // The relay tries, fails, and keeps the rows queued with the error recorded.
    await waitFor(async () => (await outboxRow(during[0]))?.attempts >= 1, 'a failed publish attempt', 15_000);
    expect(await outboxRow(during[0])).toMatchObject({ published_at: null });
    expect((await outboxRow(during[0])).last_error).toBeTruthy();
    expect(log.lines.some((l) => l.level === 'warn')).toBe(true);

    await infra.nats.restart();
    // No kick: the sweep finds the queued rows once the connection is back.
    for (const id of during)
      await waitFor(async () => (await outboxRow(id))?.published_at, `${id} published after restart`, 20_000);
    expect(await onSubject(wid)).toBe(3);
  });

  it('claims with an ordered index scan that does not read the rows published before', async () => {
    const { relay } = newRelay({ sweepIntervalMs: 60_000 });
    relay.start();
    // 3,000 rows written 30 at a time and published by the relay, each leaving a dead index entry.
    const rounds = 100;
    for (let r = 0; r < rounds; r++) {
      await infra.db.query(
        `INSERT INTO ${SCHEMA}.outbox (msg_id, subject, payload)
         SELECT 'scan-' || $1::text || '-' || g, $2, '{}'::jsonb FROM generate_series(1, 30) g`,
        [`${r}-${randomUUID()}`, subjects.runUpdated(randomUUID())],
      );
      relay.kick();
      await waitFor(
        async () =>
          Number(
            (
              await infra.db.query<{ n: string }>(
                `SELECT count(*) AS n FROM ${SCHEMA}.outbox WHERE published_at IS NULL`,
              )
            )[0].n,
          ) === 0,
        'round published',
      );
    }
    const explain = await infra.ds.transaction(async (tx) => {
      await tx.query(OUTBOX_CLAIM_SETTINGS);
      const [row] = await tx.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${outboxClaimQuery(SCHEMA, 200)}`);
      return row['QUERY PLAN'][0].Plan as PlanNode;
    });
    const scans = flatten(explain).filter((n) => n['Node Type'].includes('Scan'));
    expect(scans.map((n) => [n['Node Type'], n['Index Name']])).toEqual([
      ['Index Scan', 'outbox_unpublished_queue_idx'],
    ]);
    expect(flatten(explain).some((n) => n['Node Type'] === 'Sort')).toBe(false);
    // Index pages only, no heap page per published row: a few dozen buffers, not thousands.
    const buffers = explain['Shared Hit Blocks'] + explain['Shared Read Blocks'];
    expect(buffers).toBeLessThan(60);
  });
});

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Shared Hit Blocks': number;
  'Shared Read Blocks': number;
  Plans?: PlanNode[];
}

function flatten(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(flatten)];
}
