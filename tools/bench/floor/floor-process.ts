/**
 * One process of the contract floor (see contract-floor.ts): the least code that does what the
 * contract asks of a reply, with no framework in between. The role comes from FLOOR_ROLE:
 *
 *   gateway     HTTP → NATS request to gates → the answer back as HTTP
 *   gates       one autocommit statement per reply (gate, ledger row, outbox row), the answer, and
 *               the product's own outbox relay (claim, publish with Nats-Msg-Id, mark)
 *   runs | escalation
 *               a durable pull consumer: inbox row and effect in one statement, then a double ack
 *
 * Prints "ready" on stdout once it serves; SIGTERM stops it.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { jetstream, type JsMsg } from '@nats-io/jetstream';
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { connectNats, OutboxRelay } from '@gatehouse/messaging';
import { FLOOR_CONSUMERS, FLOOR_GATE_KEY, floorNames, type FloorConsumer, type FloorNames } from './floor-schema';

interface ReplyRequest {
  workflowId: string;
  gateKey: string;
  dedupeKey: string;
  payload: { choice: string; rationale?: string };
}

interface ReplyAnswer {
  status: number;
  body: unknown;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const REPLY_PATH = /^\/api\/runs\/([^/]+)\/gates\/([^/]+)\/reply$/;

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
}

function send(res: ServerResponse, answer: ReplyAnswer): void {
  const text = JSON.stringify(answer.body);
  res.writeHead(answer.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readJson(req: IncomingMessage): Promise<any> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        resolve(undefined);
      }
    });
  });
}

/** The fail-closed checks a reply needs before it may reach the ledger, reduced to their shape. */
function replyRequest(workflowId: string, gateKey: string, body: any): ReplyRequest | undefined {
  const choice = body?.payload?.choice;
  const dedupeKey = body?.dedupeKey;
  if (!UUID.test(workflowId) || gateKey !== FLOOR_GATE_KEY) return undefined;
  if (typeof choice !== 'string' || typeof dedupeKey !== 'string' || dedupeKey.length > 200) return undefined;
  return { workflowId, gateKey, dedupeKey, payload: body.payload };
}

async function gateway(nc: NatsConnection, names: FloorNames): Promise<() => Promise<void>> {
  const server = createServer((req, res) => {
    const m = req.method === 'POST' ? REPLY_PATH.exec(req.url ?? '') : null;
    if (!m) return send(res, { status: 404, body: { error: 'NOT_FOUND' } });
    void readJson(req).then(async (body) => {
      const request = replyRequest(m[1], m[2], body);
      if (!request) return send(res, { status: 400, body: { error: 'VALIDATION_FAILED' } });
      try {
        const msg = await nc.request(names.replySubject, JSON.stringify(request), { timeout: 5000 });
        send(res, msg.json<ReplyAnswer>());
      } catch {
        send(res, { status: 503, body: { error: 'UNAVAILABLE' } });
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(Number(env('PORT')), '127.0.0.1', resolve));
  return () => new Promise((resolve) => server.close(() => resolve()));
}

/**
 * The accepted reply in one autocommit statement: the gate leaves PENDING, the ledger row and the
 * outbox row of its decided event are written, all or nothing. 0 rows: the gate was not pending.
 */
function acceptStatement(names: FloorNames): string {
  const s = names.schema;
  return `WITH g AS (
      UPDATE ${s}.gates SET state = 'RECEIVED', closed_at = now()
      WHERE workflow_id = $1 AND gate_key = $2 AND state = 'PENDING' RETURNING workflow_id),
    l AS (
      INSERT INTO ${s}.human_interactions (workflow_id, gate_key, topic, dedupe_key, payload, payload_hash, origin)
      SELECT workflow_id, $2, 'human:' || $2, $3, $4::jsonb, $5, 'rest' FROM g RETURNING workflow_id),
    o AS (
      INSERT INTO ${s}.outbox (msg_id, subject, payload)
      SELECT 'decided:' || workflow_id || ':' || $2, '${names.subjectPrefix}.decided.' || workflow_id,
        jsonb_build_object('workflowId', workflow_id, 'gateKey', $2::text, 'decision', $4::jsonb)
      FROM l RETURNING id)
    SELECT count(*)::int AS accepted FROM o`;
}

async function gates(nc: NatsConnection, names: FloorNames): Promise<() => Promise<void>> {
  const url = env('DATABASE_URL');
  const pool = new Pool({ connectionString: url, max: 10, application_name: 'floor-gates' });
  const relayDs = new DataSource({ type: 'postgres', url, extra: { max: 2, application_name: 'floor-relay' } });
  await relayDs.initialize();
  const relay = new OutboxRelay(relayDs, names.schema, jetstream(nc), {
    warn: (o, m) => process.stderr.write(`${m} ${JSON.stringify(o)}\n`),
    error: (o, m) => process.stderr.write(`${m} ${JSON.stringify(o)}\n`),
  });
  relay.start();
  const text = acceptStatement(names);
  const answer = async (msg: Msg): Promise<ReplyAnswer> => {
    const r = msg.json<ReplyRequest>();
    const payload = JSON.stringify(r.payload);
    const hash = createHash('sha256').update(payload).digest('hex');
    const res = await pool.query<{ accepted: number }>({
      name: 'floor-accept',
      text,
      values: [r.workflowId, r.gateKey, r.dedupeKey, payload, hash],
    });
    if (res.rows[0].accepted !== 1) return { status: 409, body: { error: 'GATE_CLOSED' } };
    relay.kick();
    return { status: 200, body: { ok: true, state: 'RECEIVED', duplicate: false } };
  };
  const sub = nc.subscribe(names.replySubject, {
    queue: 'gates',
    callback: (err, msg) => {
      if (err) return;
      answer(msg).then(
        (a) => msg.respond(JSON.stringify(a)),
        () => msg.respond(JSON.stringify({ status: 503, body: { error: 'UNAVAILABLE' } })),
      );
    },
  });
  await nc.flush();
  return async () => {
    sub.unsubscribe();
    await relay.stop();
    await relayDs.destroy();
    await pool.end();
  };
}

async function consumer(nc: NatsConnection, names: FloorNames, name: FloorConsumer): Promise<() => Promise<void>> {
  const pool = new Pool({ connectionString: env('DATABASE_URL'), max: 10, application_name: `floor-${name}` });
  const s = names.schema;
  // Inbox row and effect in one statement: a redelivered message finds its inbox row and does nothing.
  const text = `WITH i AS (INSERT INTO ${s}.inbox (consumer, msg_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1)
    INSERT INTO ${s}.effects (consumer, workflow_id, done_at) SELECT $1, $3, now() FROM i`;
  const handle = async (m: JsMsg) => {
    try {
      const msgId = m.headers?.get('Nats-Msg-Id') ?? `${m.info.stream}:${m.seq}`;
      const wid = m.subject.slice(m.subject.lastIndexOf('.') + 1);
      await pool.query({ name: 'floor-consume', text, values: [name, msgId, wid] });
      await m.ackAck();
    } catch {
      m.nak(1000);
    }
  };
  const c = await jetstream(nc).consumers.get(names.stream, name);
  const messages = await c.consume({ max_messages: 256 });
  const loop = (async () => {
    for await (const m of messages) void handle(m);
  })();
  return async () => {
    await messages.close();
    await loop;
    await pool.end();
  };
}

async function main(): Promise<void> {
  const role = env('FLOOR_ROLE');
  const names = floorNames(env('FLOOR_TAG'));
  const nc = await connectNats({ NATS_URL: env('NATS_URL') }, 'floor', `floor-${role}`);
  let stop: () => Promise<void>;
  if (role === 'gateway') stop = await gateway(nc, names);
  else if (role === 'gates') stop = await gates(nc, names);
  else if ((FLOOR_CONSUMERS as readonly string[]).includes(role))
    stop = await consumer(nc, names, role as FloorConsumer);
  else throw new Error(`unknown FLOOR_ROLE ${role}`);
  process.stdout.write('ready\n');
  process.once('SIGTERM', () => {
    void stop()
      .then(() => nc.drain())
      .finally(() => process.exit(0));
  });
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
