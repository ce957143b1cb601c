import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { connect, type Msg, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { CORRELATION_HEADER, subjects, validateEnv } from '@gatehouse/contracts';
import { freePort } from '../../../tools/test-support/free-port';
import { sampleValue } from '../../../tools/test-support/prometheus-text';
import { startNatsServer, type NatsServerHandle } from '../../../tools/test-support/nats-server';
import { GatewayEnv } from './config/gateway.env';
import { createGatewayApp } from './create-gateway-app';
import { WaiterRegistry } from './gates/long-poll/waiter-registry';

interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, { content?: unknown }> }>>;
  components: { schemas: Record<string, unknown> };
}

/** The document's named schemas in a validator, each reachable as `doc#/components/schemas/<name>`. */
function schemasOf(doc: OpenApiDoc): Ajv2020 {
  const ajv = new Ajv2020({ strict: false });
  addFormats(ajv);
  ajv.addSchema({ $id: 'doc', components: doc.components });
  return ajv;
}

/**
 * The real gateway, in-process, on a free port, against a private nats-server, over real HTTP.
 * First with no backend at all (every check that needs no service, and 503 for those that do), then
 * with fake backends that answer Nest's NATS request/reply wire format (`{pattern, data, id}` in,
 * `{response | err, isDisposed, id}` out) to check routing, 404 explanations, long-poll and the stream.
 */

type Answer = { response: unknown } | { err: unknown } | undefined;
type Handler = (data: any, headers: MsgHdrs | undefined) => Answer | Promise<Answer>;

interface RpcCall {
  pattern: string;
  data: any;
  correlationId: string | undefined;
}

const LONG_POLL_MAX_WAITERS = 3;

describe('gateway over HTTP (integration)', () => {
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  let app: INestApplication;
  let base: string;
  let waiters: WaiterRegistry;
  const handlers = new Map<string, Handler>();
  const calls: RpcCall[] = [];
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    nats = await startNatsServer('gateway');
    nc = await connect({ servers: nats.url });
    // Fake backends: one subscription on rpc.>, answering only patterns a test registered.
    nc.subscribe('rpc.>', {
      callback: (_err, msg: Msg) => {
        void (async () => {
          const packet = msg.json<{ pattern: string; data: unknown; id: string }>();
          calls.push({
            pattern: msg.subject,
            data: packet.data,
            correlationId: msg.headers?.get(CORRELATION_HEADER) || undefined,
          });
          const handler = handlers.get(msg.subject);
          if (!handler) return; // an absent service: no answer at all
          const answer = await handler(packet.data, msg.headers);
          if (answer) msg.respond(JSON.stringify({ id: packet.id, isDisposed: true, ...answer }));
        })();
      },
    });
    await nc.flush();

    const port = await freePort();
    Object.assign(process.env, {
      NATS_URL: nats.url,
      PORT: String(port),
      LOG_LEVEL: 'silent',
      RPC_TIMEOUT_MS: '1000',
      HTTP_BODY_LIMIT_KB: '64',
      LONG_POLL_MAX_WAITERS: String(LONG_POLL_MAX_WAITERS),
      SBX_QUEUE_PARTITION: 'true',
    });
    app = await createGatewayApp(validateEnv(GatewayEnv));
    await app.listen(port, '127.0.0.1');
    base = `http://127.0.0.1:${port}`;
    waiters = app.get(WaiterRegistry);
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await nc?.close();
    await nats?.stop();
    process.env = savedEnv;
  });

  afterEach(() => {
    handlers.clear();
    calls.length = 0;
  });

  async function http(
    method: string,
    path: string,
    init: { json?: unknown; raw?: string; headers?: Record<string, string> } = {},
  ) {
    const headers: Record<string, string> = { ...init.headers };
    let body: string | undefined;
    if (init.raw !== undefined) body = init.raw;
    else if (init.json !== undefined) body = JSON.stringify(init.json);
    if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
      headers['content-type'] = 'application/json';
    const res = await fetch(`${base}${path}`, { method, headers, body });
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* keep the text */
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }

  const rpcCalls = (pattern: string) => calls.filter((c) => c.pattern === pattern);
  const wid = () => randomUUID();
  const validRun = (over: Record<string, unknown> = {}) => ({
    intentId: randomUUID(),
    queueName: 'intentQ',
    queuePartitionKey: 'tenant-a',
    recipeName: 'agent-plan',
    workload: { concurrency: 2, steps: 3, sandboxMinutes: 1 },
    ...over,
  });
  const reply = { payload: { choice: 'yes', rationale: 'fine' }, dedupeKey: 'k-1' };

  function expectError(res: { status: number; body: any }, status: number, code: string) {
    expect({ status: res.status, error: res.body?.error }).toEqual({ status, error: code });
    expect(typeof res.body.message).toBe('string');
  }

  async function eventually<T>(probe: () => T | undefined, timeoutMs = 5000): Promise<T> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const v = probe();
      if (v !== undefined) return v;
      if (Date.now() > until) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  describe('with no backing service', () => {
    it('answers bad JSON with 400 INVALID_JSON', async () => {
      expectError(await http('POST', '/api/intents', { raw: '{"goal": "x"' }), 400, 'INVALID_JSON');
      expectError(
        await http('POST', `/api/runs/${wid()}/gates/approve-plan/reply`, { raw: '{"payload":' }),
        400,
        'INVALID_JSON',
      );
      // Strict JSON: a bare scalar is not a body.
      expectError(await http('POST', '/api/intents', { raw: '"just a string"' }), 400, 'INVALID_JSON');
    });

    it('answers a body over HTTP_BODY_LIMIT_KB with 413 PAYLOAD_TOO_LARGE', async () => {
      const res = await http('POST', '/api/intents', { json: { goal: 'x', inputs: { blob: 'x'.repeat(70 * 1024) } } });
      expectError(res, 413, 'PAYLOAD_TOO_LARGE');
    });

    it('answers a non-JSON body with 415 UNSUPPORTED_MEDIA_TYPE', async () => {
      const res = await http('POST', '/api/intents', {
        raw: 'goal=x',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
      expectError(
        await http('POST', '/api/intents', { raw: '{"goal":"x"}', headers: { 'content-type': 'text/plain' } }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
    });

    it('answers unknown, missing and mistyped fields with 400 VALIDATION_FAILED naming the fields', async () => {
      const unknown = await http('POST', `/api/runs/${wid()}/gates/approve-plan/reply`, {
        json: { ...reply, extra: 1 },
      });
      expectError(unknown, 400, 'VALIDATION_FAILED');
      expect(unknown.body.details).toEqual([expect.objectContaining({ field: 'extra' })]);
      const nested = await http('POST', `/api/runs/${wid()}/gates/approve-plan/reply`, {
        json: { payload: { choice: 'yes', admin: true }, dedupeKey: 'k' },
      });
      expectError(nested, 400, 'VALIDATION_FAILED');
      expect(nested.body.details).toEqual([expect.objectContaining({ field: 'payload.admin' })]);
      expectError(
        await http('POST', `/api/runs/${wid()}/gates/approve-plan/reply`, { json: { payload: { choice: 'yes' } } }),
        400,
        'VALIDATION_FAILED',
      );
      expectError(await http('POST', '/api/intents', { json: { inputs: {} } }), 400, 'VALIDATION_FAILED');
      expectError(
        await http('POST', '/api/runs', {
          json: validRun({ workload: { concurrency: 0, steps: 1, sandboxMinutes: 1 } }),
        }),
        400,
        'VALIDATION_FAILED',
      );
      expect(calls).toEqual([]);
    });

    it.each([
      ['an array', [1, 2]],
      ['an empty object', {}],
      ['a __proto__ key', JSON.parse('{"__proto__": {"goal": "x"}}')],
      ['a constructor key', { goal: 'x', constructor: { name: 'y' } }],
      [
        'a nested __proto__ key',
        JSON.parse('{"payload": {"choice": "yes", "__proto__": {"admin": true}}, "dedupeKey": "k"}'),
      ],
      ['nested 20,000 levels deep', `{"goal":"x","inputs":{"a":${'['.repeat(20_000)}${']'.repeat(20_000)}}}`],
    ])('answers a body that is %s with 400, never 500', async (_name, body) => {
      for (const path of ['/api/intents', `/api/runs/${wid()}/gates/approve-plan/reply`]) {
        const res = await http('POST', path, { raw: typeof body === 'string' ? body : JSON.stringify(body) });
        expectError(res, 400, 'VALIDATION_FAILED');
      }
      expect(calls).toEqual([]);
    });

    it('answers a bad gate key with 400 INVALID_GATE_KEY', async () => {
      expectError(await http('GET', `/api/runs/${wid()}/gates/Approve_Plan`), 400, 'INVALID_GATE_KEY');
      expectError(await http('POST', `/api/runs/${wid()}/gates/-x/reply`, { json: reply }), 400, 'INVALID_GATE_KEY');
      expectError(
        await http('POST', `/api/runs/${wid()}/gates/${'a'.repeat(64)}/reply`, { json: reply }),
        400,
        'INVALID_GATE_KEY',
      );
      const hitl = {
        workflowId: wid(),
        gateKey: 'Bad Key',
        topic: 'human:Bad Key',
        payload: { choice: 'yes' },
        dedupeKey: 'k',
      };
      expectError(await http('POST', '/api/events/hitl', { json: hitl }), 400, 'INVALID_GATE_KEY');
      expect(calls).toEqual([]);
    });

    it.each(['31', '-1', '1.5', 'abc', '', '01', '1e1'])('answers timeoutS=%j with 400 INVALID_TIMEOUT', async (t) => {
      expectError(await http('GET', `/api/runs/${wid()}/gates/approve-plan?timeoutS=${t}`), 400, 'INVALID_TIMEOUT');
      expect(calls).toEqual([]);
    });

    it('answers a non-UUID run id with 404 RUN_NOT_FOUND without asking any service', async () => {
      expectError(await http('GET', '/api/runs/not-a-uuid'), 404, 'RUN_NOT_FOUND');
      expectError(await http('GET', '/api/runs/not-a-uuid/gates'), 404, 'RUN_NOT_FOUND');
      expectError(await http('GET', '/api/runs/not-a-uuid/gates/approve-plan?timeoutS=5'), 404, 'RUN_NOT_FOUND');
      expectError(
        await http('POST', '/api/runs/not-a-uuid/gates/approve-plan/reply', { json: reply }),
        404,
        'RUN_NOT_FOUND',
      );
      expectError(
        await http('POST', '/api/runs/not-a-uuid/approve-plan', { json: { approvedBy: 'a' } }),
        404,
        'RUN_NOT_FOUND',
      );
      expectError(await http('GET', '/api/runs/not-a-uuid/stream/status'), 404, 'RUN_NOT_FOUND');
      const hitl = {
        workflowId: 'nope',
        gateKey: 'approve-plan',
        topic: 'human:approve-plan',
        payload: { choice: 'yes' },
        dedupeKey: 'k',
      };
      expectError(await http('POST', '/api/events/hitl', { json: hitl }), 404, 'RUN_NOT_FOUND');
      expect(calls).toEqual([]);
    });

    it('checks the body before the run id: a bad body on a non-UUID run is still 400', async () => {
      expectError(
        await http('POST', '/api/runs/not-a-uuid/gates/approve-plan/reply', { json: { payload: {} } }),
        400,
        'VALIDATION_FAILED',
      );
    });

    it('enforces the queue, partition and recipe laws with their own codes', async () => {
      expectError(await http('POST', '/api/runs', { json: validRun({ queueName: 'sbxQ' }) }), 400, 'QUEUE_NOT_ALLOWED');
      const { queuePartitionKey: _omit, ...noPartition } = validRun();
      expectError(await http('POST', '/api/runs', { json: noPartition }), 400, 'PARTITION_KEY_REQUIRED');
      expectError(
        await http('POST', '/api/runs', { json: validRun({ queuePartitionKey: '   ' }) }),
        400,
        'PARTITION_KEY_REQUIRED',
      );
      expectError(await http('POST', '/api/runs', { json: validRun({ recipeName: 'yolo' }) }), 400, 'UNKNOWN_RECIPE');
      expect(calls).toEqual([]);
    });

    it('answers 409 TOPIC_MISMATCH on the external receiver before asking gates', async () => {
      const hitl = {
        workflowId: wid(),
        gateKey: 'approve-plan',
        topic: 'human:other',
        payload: { choice: 'yes' },
        dedupeKey: 'k',
      };
      expectError(await http('POST', '/api/events/hitl', { json: hitl }), 409, 'TOPIC_MISMATCH');
      expect(calls).toEqual([]);
    });

    it('answers an unknown route with 404 ROUTE_NOT_FOUND', async () => {
      expectError(await http('GET', '/api/nope'), 404, 'ROUTE_NOT_FOUND');
      expectError(await http('DELETE', `/api/runs/${wid()}`), 404, 'ROUTE_NOT_FOUND');
    });

    it('reports 503 with Retry-After on /healthz and /health/ready while services are absent; live stays 200', async () => {
      const res = await http('GET', '/healthz');
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(res.body).toMatchObject({ ok: false, nats: true, error: 'SERVICE_UNAVAILABLE' });
      for (const svc of ['runs', 'gates', 'escalation'])
        expect(res.body.services[svc]).toMatchObject({ ok: false, service: svc });
      const ready = await http('GET', '/health/ready');
      expect(ready.status).toBe(503);
      expect((await http('GET', '/health/live')).body).toEqual({ ok: true });
    });

    it.each([
      ['POST /api/intents', () => http('POST', '/api/intents', { json: { goal: 'ship it' } })],
      ['POST /api/runs', () => http('POST', '/api/runs', { json: validRun() })],
      ['GET /api/runs/:wid', () => http('GET', `/api/runs/${wid()}`)],
      ['GET /api/runs/:wid/gates', () => http('GET', `/api/runs/${wid()}/gates`)],
      ['GET /api/runs/:wid/gates/:g?timeoutS=2', () => http('GET', `/api/runs/${wid()}/gates/approve-plan?timeoutS=2`)],
      ['POST reply', () => http('POST', `/api/runs/${wid()}/gates/approve-plan/reply`, { json: reply })],
      ['POST approve-plan', () => http('POST', `/api/runs/${wid()}/approve-plan`, { json: { approvedBy: 'alice' } })],
      ['GET stream', () => http('GET', `/api/runs/${wid()}/stream/status`)],
    ])('answers a valid %s with 503 SERVICE_UNAVAILABLE and Retry-After, never 500', async (_name, send) => {
      const started = Date.now();
      const res = await send();
      expectError(res, 503, 'SERVICE_UNAVAILABLE');
      expect(res.headers.get('retry-after')).toBe('1');
      expect(Date.now() - started).toBeLessThan(4000);
      expect(waiters.size).toBe(0);
    });

    it('echoes the caller correlation id, makes one up otherwise, and carries it over NATS', async () => {
      const given = await http('GET', '/api/runs/not-a-uuid', { headers: { [CORRELATION_HEADER]: 'abc-123' } });
      expect(given.headers.get(CORRELATION_HEADER)).toBe('abc-123');
      const bad = await http('POST', '/api/intents', { raw: '{', headers: { [CORRELATION_HEADER]: 'corr-bad-json' } });
      expect(bad.headers.get(CORRELATION_HEADER)).toBe('corr-bad-json');
      const made = await http('GET', '/api/runs/not-a-uuid');
      expect(made.headers.get(CORRELATION_HEADER)).toMatch(/^[0-9a-f-]{36}$/);
      await http('POST', '/api/intents', { json: { goal: 'x' }, headers: { [CORRELATION_HEADER]: 'corr-rpc-1' } });
      expect(rpcCalls('rpc.runs.create-intent')).toEqual([expect.objectContaining({ correlationId: 'corr-rpc-1' })]);
    });

    it('serves the OpenAPI document at /docs', async () => {
      const res = await fetch(`${base}/docs-json`);
      expect(res.status).toBe(200);
      const doc = (await res.json()) as OpenApiDoc;
      expect(doc.openapi).toBe('3.1.0');
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/runs/{wid}/gates/{g}/reply', '/healthz']));
      expect((await fetch(`${base}/docs`)).status).toBe(200);
    });

    it('serves Prometheus metrics on its own port, by route template rather than by id', async () => {
      const wid = randomUUID();
      const answered = await http('GET', `/api/runs/${wid}`);
      await http('GET', '/no/such/route');
      const res = await fetch(`${base}/metrics`);
      expect(res.status).toBe(200);
      const text = await res.text();
      const requests = (route: string, status: number) =>
        sampleValue(text, 'gatehouse_http_requests_total', {
          service: 'gateway',
          method: 'GET',
          route,
          status: String(status),
        });
      expect(requests('/api/runs/:wid', answered.status)).toBeGreaterThanOrEqual(1);
      expect(requests('unmatched', 404)).toBeGreaterThanOrEqual(1);
      expect(
        sampleValue(text, 'gatehouse_http_request_duration_seconds_count', { route: '/api/runs/:wid', method: 'GET' }),
      ).toBeGreaterThanOrEqual(1);
      expect(text).not.toContain(wid);
      expect(text).toContain('nodejs_eventloop_lag_seconds{service="gateway"}');
    });

    it('documents every operation with a success schema and every error it lists, with resolvable schemas', async () => {
      const doc = (await (await fetch(`${base}/docs-json`)).json()) as OpenApiDoc;
      const undocumented = Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.entries(ops)
          .filter(([, op]) => !Object.entries(op.responses).some(([status, r]) => status < '300' && r.content))
          .map(([method]) => `${method} ${path}`),
      );
      expect(undocumented).toEqual([]);
      const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]);
      expect(refs.filter((name) => !doc.components.schemas[name])).toEqual([]);
      // Every error code a route lists is a real one, with the status docs/errors.md gives it.
      const reply = doc.paths['/api/runs/{wid}/gates/{g}/reply'].post.responses;
      expect(JSON.stringify(reply['409'])).toContain(
        '"enum":["DEDUPE_CONFLICT","GATE_CLOSED","ALREADY_VOTED","PLAN_CHANGED"]',
      );
      expect(JSON.stringify(reply['403'])).toContain('"enum":["ROLE_NOT_ALLOWED","SELF_APPROVAL"]');
      const ajv = schemasOf(doc);
      for (const name of Object.keys(doc.components.schemas)) ajv.getSchema(`doc#/components/schemas/${name}`);
    });

    it('describes request bodies with the rules the validation pipe applies', async () => {
      const doc = (await (await fetch(`${base}/docs-json`)).json()) as OpenApiDoc;
      const ajv = schemasOf(doc);
      const reply = ajv.getSchema('doc#/components/schemas/GateReplyDto')!;
      const bodies: Array<[unknown, boolean]> = [
        [
          {
            payload: { choice: 'yes', rationale: 'ok', patch: [{ op: 'add', path: '/a', value: 1 }] },
            dedupeKey: 'k-1',
          },
          true,
        ],
        [{ payload: { choice: 'yes' }, dedupeKey: 'k-1', extra: 1 }, false],
        [{ payload: { choice: 'yes' }, dedupeKey: 'has space' }, false],
        [{ payload: { choice: '' }, dedupeKey: 'k' }, false],
        [{ payload: { choice: 'yes', patch: [{ op: 'bogus', path: '/a' }] }, dedupeKey: 'k' }, false],
        [{ dedupeKey: 'k' }, false],
      ];
      for (const [body, valid] of bodies) {
        expect([body, reply(body)]).toEqual([body, valid]);
        // The gateway agrees: what the document refuses is a 400, what it accepts passes validation.
        const res = await http('POST', `/api/runs/${randomUUID()}/gates/approve-plan/reply`, { json: body });
        expect([body, res.status === 400]).toEqual([body, !valid]);
      }
      const start = ajv.getSchema('doc#/components/schemas/StartRunDto')!;
      const run = {
        intentId: 'i',
        queueName: 'intentQ',
        recipeName: 'agent-plan',
        workload: { concurrency: 1, steps: 1, sandboxMinutes: 0 },
      };
      expect(start(run)).toBe(true);
      expect(start({ ...run, workload: { ...run.workload, concurrency: 65 } })).toBe(false);
      expect(start({ ...run, workload: { ...run.workload, concurrency: 1.5 } })).toBe(false);
    });
  });

  describe('with fake backing services', () => {
    const health =
      (service: string, db = true) =>
      () => ({ response: { ok: db, service, db, nats: true } });
    const notFound = (code: string) => () => ({ err: { error: code, message: `${code} (fake)` } });
    const pendingGate = (g = 'approve-plan', state = 'PENDING', rootGateKey = g) => ({
      gateKey: g,
      rootGateKey,
      escalationLevel: rootGateKey === g ? 0 : 1,
      state,
      topic: `human:${g}`,
      deadlineAt: new Date(Date.now() + 3_600_000).toISOString(),
      openedAt: new Date().toISOString(),
      closedAt: null,
      prompt: {
        schemaVersion: 1,
        gateKey: g,
        title: 'Approve',
        plan: {},
        planHash: 'h',
        choices: [],
        deadlineAt: '',
        policy: {},
      },
      result: null,
      decision: null,
    });
    const runView = (id: string, status: string, lastStep: string | null, nextAction = 'NONE') => ({
      workflowID: id,
      intentId: id,
      status,
      nextAction,
      lastStep,
      error: null,
    });

    // By default the escalation service knows no escalation: gate reads answer `escalation: null`.
    beforeEach(() => {
      handlers.set('rpc.escalation.get', notFound('GATE_NOT_FOUND'));
    });

    it('reports healthy only when every service answers ok with its database', async () => {
      handlers.set('rpc.runs.health', health('runs'));
      handlers.set('rpc.gates.health', health('gates'));
      handlers.set('rpc.escalation.health', health('escalation'));
      const ok = await http('GET', '/healthz');
      expect(ok.status).toBe(200);
      expect(ok.body).toEqual({
        ok: true,
        nats: true,
        services: {
          runs: { ok: true, service: 'runs', db: true, nats: true },
          gates: { ok: true, service: 'gates', db: true, nats: true },
          escalation: { ok: true, service: 'escalation', db: true, nats: true },
        },
      });
      handlers.set('rpc.gates.health', health('gates', false));
      const down = await http('GET', '/healthz');
      expect(down.status).toBe(503);
      expect(down.body.services.gates).toMatchObject({ ok: false, db: false });
    });

    it('routes intents and runs and shapes their answers', async () => {
      const intentId = randomUUID();
      handlers.set('rpc.runs.create-intent', () => ({ response: { intentId } }));
      handlers.set('rpc.runs.start-run', (data) => ({ response: { workflowID: data.intentId, created: true } }));
      const intent = await http('POST', '/api/intents', { json: { goal: 'g', inputs: { a: 1 }, constraints: {} } });
      expect(intent).toMatchObject({ status: 201, body: { intentId } });
      expect(rpcCalls('rpc.runs.create-intent')[0].data).toEqual({ goal: 'g', inputs: { a: 1 }, constraints: {} });
      const run = await http('POST', '/api/runs', { json: validRun({ intentId }) });
      expect(run).toMatchObject({ status: 202, body: { workflowID: intentId } });
      expect(run.body).toEqual({ workflowID: intentId });
      handlers.set('rpc.runs.start-run', notFound('INTENT_NOT_FOUND'));
      expectError(await http('POST', '/api/runs', { json: validRun() }), 404, 'INTENT_NOT_FOUND');
    });

    it('passes a service error code through with its status', async () => {
      handlers.set('rpc.gates.reply', () => ({ err: { error: 'DEDUPE_CONFLICT', message: 'already used' } }));
      const res = await http('POST', `/api/runs/${wid()}/gates/approve-plan/reply`, { json: reply });
      expect(res.status).toBe(409);
      expect(res.body).toEqual({ error: 'DEDUPE_CONFLICT', message: 'already used' });
    });

    it('sends a REST reply as the GateReplyCommand of the contract, the principal as its actor', async () => {
      const id = wid();
      handlers.set('rpc.gates.reply', () => ({ response: { ok: true, state: 'RECEIVED', duplicate: false } }));
      const res = await http('POST', `/api/runs/${id}/gates/approve-plan/reply`, { json: reply });
      expect(res).toMatchObject({ status: 200, body: { ok: true, state: 'RECEIVED', duplicate: false } });
      const named = await http('POST', `/api/runs/${id}/gates/approve-plan/reply`, {
        json: reply,
        headers: { 'X-Gatehouse-Actor': 'alice' },
      });
      expect(named.status).toBe(200);
      const command = {
        workflowId: id,
        gateKey: 'approve-plan',
        topic: 'human:approve-plan',
        payload: reply.payload,
        dedupeKey: 'k-1',
        origin: 'rest',
      };
      expect(rpcCalls('rpc.gates.reply').map((c) => c.data)).toEqual([
        // With its roles, which the gate's policy judges (under AUTH_MODE=off: every role).
        { ...command, actor: 'anonymous', actorRoles: ['*'] },
        { ...command, actor: 'actor:alice', actorRoles: ['*'] },
      ]);
    });

    it('tells an unknown run (404 RUN_NOT_FOUND) from an unknown gate (404 GATE_NOT_FOUND) by asking runs', async () => {
      const known = wid();
      handlers.set('rpc.gates.reply', notFound('GATE_NOT_FOUND'));
      handlers.set('rpc.gates.get', notFound('GATE_NOT_FOUND'));
      handlers.set('rpc.runs.get-run', (data) =>
        data.workflowId === known ? { response: runView(known, 'PENDING', 'CompileST') } : notFound('RUN_NOT_FOUND')(),
      );
      expectError(
        await http('POST', `/api/runs/${wid()}/gates/approve-plan/reply`, { json: reply }),
        404,
        'RUN_NOT_FOUND',
      );
      expectError(
        await http('POST', `/api/runs/${known}/gates/deploy-prod/reply`, { json: reply }),
        404,
        'GATE_NOT_FOUND',
      );
      expectError(await http('GET', `/api/runs/${wid()}/gates/approve-plan`), 404, 'RUN_NOT_FOUND');
      expectError(await http('GET', `/api/runs/${known}/gates/approve-plan?timeoutS=5`), 404, 'GATE_NOT_FOUND');
      expect(waiters.size).toBe(0);
    });

    it('lists gates: [] for a known run before its first gate, 404 for an unknown run', async () => {
      const known = wid();
      handlers.set('rpc.gates.list', (data) => ({ response: data.workflowId === 'with-gates' ? [pendingGate()] : [] }));
      handlers.set('rpc.runs.get-run', (data) =>
        data.workflowId === known ? { response: runView(known, 'ENQUEUED', null) } : notFound('RUN_NOT_FOUND')(),
      );
      expect(await http('GET', `/api/runs/${known}/gates`)).toMatchObject({ status: 200, body: [] });
      expectError(await http('GET', `/api/runs/${wid()}/gates`), 404, 'RUN_NOT_FOUND');
    });

    it('wakes a long-poll on the gate-decided event, with one read before and one after (no polling)', async () => {
      const id = wid();
      let state = 'PENDING';
      handlers.set('rpc.gates.get', (data) =>
        data.workflowId === id ? { response: pendingGate('approve-plan', state) } : notFound('GATE_NOT_FOUND')(),
      );
      const started = Date.now();
      const poll = http('GET', `/api/runs/${id}/gates/approve-plan?timeoutS=20`);
      await eventually(() => (waiters.size === 1 && rpcCalls('rpc.gates.get').length === 1 ? true : undefined));
      // An event for another gate of the run wakes nothing.
      nc.publish(subjects.gateDecided(id, 'other-gate'), JSON.stringify({}));
      await nc.flush();
      await new Promise((r) => setTimeout(r, 200));
      expect(waiters.size).toBe(1);
      state = 'RECEIVED';
      nc.publish(
        subjects.gateDecided(id, 'approve-plan'),
        JSON.stringify({ workflowId: id, gateKey: 'approve-plan', state }),
      );
      const res = await poll;
      expect(res.status).toBe(200);
      expect(res.body.state).toBe('RECEIVED');
      expect(Date.now() - started).toBeLessThan(5000);
      expect(rpcCalls('rpc.gates.get')).toHaveLength(2);
      expect(waiters.size).toBe(0);
    });

    it('answers a long-poll at its timeout with the gate still pending', async () => {
      const id = wid();
      handlers.set('rpc.gates.get', () => ({ response: pendingGate() }));
      const started = Date.now();
      const res = await http('GET', `/api/runs/${id}/gates/approve-plan?timeoutS=1`);
      expect(res.status).toBe(200);
      expect(res.body.state).toBe('PENDING');
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
      expect(rpcCalls('rpc.gates.get')).toHaveLength(2);
      expect(waiters.size).toBe(0);
    });

    it('answers at once, without waiting, when the gate is already decided or timeoutS is 0', async () => {
      handlers.set('rpc.gates.get', (data) => ({
        response: pendingGate('approve-plan', data.workflowId === 'x' ? 'PENDING' : 'TIMED_OUT'),
      }));
      const started = Date.now();
      expect((await http('GET', `/api/runs/${wid()}/gates/approve-plan?timeoutS=30`)).body.state).toBe('TIMED_OUT');
      handlers.set('rpc.gates.get', () => ({ response: pendingGate() }));
      expect((await http('GET', `/api/runs/${wid()}/gates/approve-plan?timeoutS=0`)).body.state).toBe('PENDING');
      expect((await http('GET', `/api/runs/${wid()}/gates/approve-plan`)).body.state).toBe('PENDING');
      expect(Date.now() - started).toBeLessThan(2000);
    });

    it("shows the escalation of a gate: the escalation service's row, null when it has none, 503 when it is down", async () => {
      const id = wid();
      handlers.set('rpc.gates.get', () => ({ response: pendingGate('approve-plan', 'TIMED_OUT') }));
      expect((await http('GET', `/api/runs/${id}/gates/approve-plan`)).body.escalation).toBeNull();

      const view = {
        id: `esc:${id}:approve-plan`,
        workflowId: id,
        gateKey: 'approve-plan',
        status: 'COMPLETED',
        action: 'escalate',
        createdAt: new Date().toISOString(),
        detail: { successorGateKey: 'approve-plan-e1' },
      };
      handlers.set('rpc.escalation.get', () => ({ response: view }));
      const res = await http('GET', `/api/runs/${id}/gates/approve-plan`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ gateKey: 'approve-plan', state: 'TIMED_OUT' });
      expect(res.body.escalation).toEqual({
        id: view.id,
        status: 'COMPLETED',
        action: 'escalate',
        createdAt: view.createdAt,
        detail: { successorGateKey: 'approve-plan-e1' },
      });
      expect(rpcCalls('rpc.escalation.get').map((c) => c.data)).toEqual([
        { workflowId: id, gateKey: 'approve-plan' },
        { workflowId: id, gateKey: 'approve-plan' },
      ]);

      handlers.delete('rpc.escalation.get');
      expectError(await http('GET', `/api/runs/${id}/gates/approve-plan`), 503, 'SERVICE_UNAVAILABLE');
    });

    it('wakes a long-poll when the gate is cancelled with its run', async () => {
      const id = wid();
      let state = 'PENDING';
      handlers.set('rpc.gates.get', () => ({ response: pendingGate('approve-plan', state) }));
      const poll = http('GET', `/api/runs/${id}/gates/approve-plan?timeoutS=20`);
      await eventually(() => (waiters.size === 1 ? true : undefined));
      state = 'CANCELLED';
      nc.publish(
        subjects.gateCancelled(id, 'approve-plan'),
        JSON.stringify({ workflowId: id, gateKey: 'approve-plan' }),
      );
      const res = await poll;
      expect(res.body.state).toBe('CANCELLED');
      expect(waiters.size).toBe(0);
    });

    it('frees the waiter when the client disconnects', async () => {
      handlers.set('rpc.gates.get', () => ({ response: pendingGate() }));
      const ac = new AbortController();
      const poll = fetch(`${base}/api/runs/${wid()}/gates/approve-plan?timeoutS=30`, { signal: ac.signal }).catch(
        (e: Error) => e,
      );
      await eventually(() => (waiters.size === 1 ? true : undefined));
      ac.abort();
      await poll;
      await eventually(() => (waiters.size === 0 ? true : undefined), 3000);
    });

    it('answers 503 OVERLOADED past LONG_POLL_MAX_WAITERS open long-polls', async () => {
      handlers.set('rpc.gates.get', () => ({ response: pendingGate() }));
      const ac = new AbortController();
      const polls = Array.from({ length: LONG_POLL_MAX_WAITERS }, () =>
        fetch(`${base}/api/runs/${wid()}/gates/approve-plan?timeoutS=30`, { signal: ac.signal }).catch((e: Error) => e),
      );
      await eventually(() => (waiters.size === LONG_POLL_MAX_WAITERS ? true : undefined));
      const over = await http('GET', `/api/runs/${wid()}/gates/approve-plan?timeoutS=30`);
      expectError(over, 503, 'OVERLOADED');
      expect(over.headers.get('retry-after')).toBe('1');
      ac.abort();
      await Promise.all(polls);
      await eventually(() => (waiters.size === 0 ? true : undefined), 3000);
    });

    describe('legacy bridge POST /api/runs/:wid/approve-plan', () => {
      it('says yes on the pending plan gate with a dedupe key derived from the run', async () => {
        const id = wid();
        handlers.set('rpc.gates.pending-plan-gate', () => ({ response: pendingGate() }));
        handlers.set('rpc.gates.reply', () => ({ response: { ok: true, state: 'RECEIVED', duplicate: false } }));
        const res = await http('POST', `/api/runs/${id}/approve-plan`, {
          json: { approvedBy: 'alice', notes: 'ok by me' },
          headers: { 'X-Gatehouse-Actor': 'carol' },
        });
        expect(res).toMatchObject({ status: 200, body: { ok: true, state: 'RECEIVED', duplicate: false } });
        expect(rpcCalls('rpc.gates.reply').map((c) => c.data)).toEqual([
          {
            workflowId: id,
            gateKey: 'approve-plan',
            topic: 'human:approve-plan',
            payload: { choice: 'yes', rationale: 'ok by me' },
            dedupeKey: `approve-plan:${id}`,
            origin: 'bridge',
            // The principal, not the body's approvedBy.
            actor: 'actor:carol',
            actorRoles: ['*'],
          },
        ]);
      });

      it('replays its own accepted call through the reply rules (duplicate: true)', async () => {
        const id = wid();
        handlers.set('rpc.gates.pending-plan-gate', notFound('NO_PENDING_GATE'));
        handlers.set('rpc.gates.list', () => ({ response: [pendingGate('approve-plan', 'RECEIVED')] }));
        handlers.set('rpc.gates.get', () => ({
          response: {
            ...pendingGate('approve-plan', 'RECEIVED'),
            result: { choice: 'yes', dedupeKey: `approve-plan:${id}` },
          },
        }));
        handlers.set('rpc.gates.reply', () => ({ response: { ok: true, state: 'RECEIVED', duplicate: true } }));
        const res = await http('POST', `/api/runs/${id}/approve-plan`, { json: { approvedBy: 'alice' } });
        expect(res).toMatchObject({ status: 200, body: { ok: true, duplicate: true } });
        expect(rpcCalls('rpc.gates.reply')[0].data.payload).toEqual({ choice: 'yes' });
      });

      it('targets the pending successor of the plan gate, and replays its own reply there', async () => {
        const id = wid();
        handlers.set('rpc.gates.pending-plan-gate', () => ({
          response: pendingGate('approve-plan-e1', 'PENDING', 'approve-plan'),
        }));
        handlers.set('rpc.gates.reply', () => ({ response: { ok: true, state: 'RECEIVED', duplicate: false } }));
        expect(await http('POST', `/api/runs/${id}/approve-plan`, { json: { approvedBy: 'carol' } })).toMatchObject({
          status: 200,
          body: { ok: true },
        });
        expect(rpcCalls('rpc.gates.reply').map((c) => [c.data.gateKey, c.data.topic, c.data.dedupeKey])).toEqual([
          ['approve-plan-e1', 'human:approve-plan-e1', `approve-plan:${id}`],
        ]);

        handlers.set('rpc.gates.pending-plan-gate', notFound('NO_PENDING_GATE'));
        handlers.set('rpc.gates.list', () => ({
          response: [
            pendingGate('approve-plan', 'TIMED_OUT'),
            pendingGate('approve-plan-e1', 'RECEIVED', 'approve-plan'),
          ],
        }));
        handlers.set('rpc.gates.get', (data) => ({
          response: {
            ...pendingGate(data.gateKey, 'RECEIVED', 'approve-plan'),
            result: { dedupeKey: `approve-plan:${id}` },
          },
        }));
        handlers.set('rpc.gates.reply', () => ({ response: { ok: true, state: 'RECEIVED', duplicate: true } }));
        expect(await http('POST', `/api/runs/${id}/approve-plan`, { json: { approvedBy: 'carol' } })).toMatchObject({
          status: 200,
          body: { duplicate: true },
        });
        expect(rpcCalls('rpc.gates.get').map((c) => c.data.gateKey)).toEqual(['approve-plan-e1']);
        expect(rpcCalls('rpc.gates.reply')[1].data.gateKey).toBe('approve-plan-e1');
      });

      it('answers 409 NO_PENDING_GATE, sending no reply, when the gate was decided otherwise', async () => {
        const id = wid();
        handlers.set('rpc.gates.pending-plan-gate', notFound('NO_PENDING_GATE'));
        handlers.set('rpc.gates.list', () => ({ response: [pendingGate('approve-plan', 'RECEIVED')] }));
        handlers.set('rpc.gates.get', () => ({
          response: { ...pendingGate('approve-plan', 'RECEIVED'), result: { choice: 'no', dedupeKey: 'someone-else' } },
        }));
        expectError(
          await http('POST', `/api/runs/${id}/approve-plan`, { json: { approvedBy: 'bob' } }),
          409,
          'NO_PENDING_GATE',
        );
        expect(rpcCalls('rpc.gates.reply')).toEqual([]);
      });

      it('answers 409 NO_PENDING_GATE before the plan gate opens, and 404 for an unknown run', async () => {
        const known = wid();
        handlers.set('rpc.gates.pending-plan-gate', notFound('GATE_NOT_FOUND'));
        handlers.set('rpc.runs.get-run', (data) =>
          data.workflowId === known ? { response: runView(known, 'ENQUEUED', null) } : notFound('RUN_NOT_FOUND')(),
        );
        expectError(
          await http('POST', `/api/runs/${known}/approve-plan`, { json: { approvedBy: 'bob' } }),
          409,
          'NO_PENDING_GATE',
        );
        expectError(
          await http('POST', `/api/runs/${wid()}/approve-plan`, { json: { approvedBy: 'bob' } }),
          404,
          'RUN_NOT_FOUND',
        );
        expect(rpcCalls('rpc.gates.reply')).toEqual([]);
      });
    });

    it('the external receiver sends the reply with its origin (default webhook); the actor is the principal', async () => {
      const id = wid();
      handlers.set('rpc.gates.reply', () => ({ response: { ok: true, state: 'RECEIVED', duplicate: false } }));
      const event = {
        workflowId: id,
        gateKey: 'approve-plan',
        topic: 'human:approve-plan',
        payload: { choice: 'yes' },
        dedupeKey: 'ext-1',
      };
      const res = await http('POST', '/api/events/hitl', { json: event });
      expect(res).toMatchObject({ status: 200, body: { ok: true } });
      await http('POST', '/api/events/hitl', { json: { ...event, origin: 'pagerduty', actor: 'oncall' } });
      expect(
        rpcCalls('rpc.gates.reply').map((c) => [c.data.origin, c.data.actor, c.data.onBehalfOf, c.data.topic]),
      ).toEqual([
        ['webhook', 'anonymous', null, 'human:approve-plan'],
        // An unsigned caller's `actor` field names nobody: only a signed source relays for someone.
        ['pagerduty', 'anonymous', null, 'human:approve-plan'],
      ]);
    });

    it('streams NDJSON snapshots on run-updated events, skips unchanged ones, and ends after the terminal one', async () => {
      const id = wid();
      let view = runView(id, 'PENDING', 'CompileST', 'APPROVE_PLAN');
      handlers.set('rpc.runs.get-run', () => ({ response: view }));
      const res = await fetch(`${base}/api/runs/${id}/stream/status`, {
        headers: { [CORRELATION_HEADER]: 'corr-stream' },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('application/x-ndjson');
      const text = res.text();
      const reads = () => rpcCalls('rpc.runs.get-run').length;
      const announce = async (expectedReads: number) => {
        nc.publish(subjects.runUpdated(id), JSON.stringify({ workflowID: id }));
        await eventually(() => (reads() >= expectedReads ? true : undefined));
      };
      await announce(2); // nothing changed: no line
      view = runView(id, 'PENDING', 'DecideST');
      await announce(3);
      view = runView(id, 'SUCCESS', 'ExecuteST');
      nc.publish(subjects.runUpdated(id), '{}');
      const lines = (await text)
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines.map((l) => [l.status, l.lastStep])).toEqual([
        ['PENDING', 'CompileST'],
        ['PENDING', 'DecideST'],
        ['SUCCESS', 'ExecuteST'],
      ]);
      expect(rpcCalls('rpc.runs.get-run').every((c) => c.correlationId === 'corr-stream')).toBe(true);
      // Ended: later events reach no listener.
      const before = reads();
      nc.publish(subjects.runUpdated(id), '{}');
      await nc.flush();
      await new Promise((r) => setTimeout(r, 200));
      expect(reads()).toBe(before);
    });

    it('answers the stream of an unknown run with 404 RUN_NOT_FOUND', async () => {
      handlers.set('rpc.runs.get-run', notFound('RUN_NOT_FOUND'));
      expectError(await http('GET', `/api/runs/${wid()}/stream/status`), 404, 'RUN_NOT_FOUND');
    });

    it('stops listening when the stream client disconnects', async () => {
      const id = wid();
      handlers.set('rpc.runs.get-run', () => ({ response: runView(id, 'PENDING', 'CompileST') }));
      const ac = new AbortController();
      const res = await fetch(`${base}/api/runs/${id}/stream/status`, { signal: ac.signal });
      expect(res.status).toBe(200);
      ac.abort();
      await new Promise((r) => setTimeout(r, 200));
      const before = rpcCalls('rpc.runs.get-run').length;
      nc.publish(subjects.runUpdated(id), '{}');
      await nc.flush();
      await new Promise((r) => setTimeout(r, 200));
      expect(rpcCalls('rpc.runs.get-run').length).toBe(before);
    });

    /** Resolves with the stream's lines once it ends; fails if it has not ended within `ms`. */
    async function streamEnds(res: Response, ms: number): Promise<Array<{ status: string; lastStep: string }>> {
      let timer: NodeJS.Timeout | undefined;
      const text = await Promise.race([
        res.text(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`the stream did not end within ${ms} ms`)), ms);
        }),
      ]).finally(() => clearTimeout(timer));
      return text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
    }

    it('reads again after a failed re-read, without waiting for another event', async () => {
      const id = wid();
      let view = runView(id, 'PENDING', 'CompileST', 'APPROVE_PLAN');
      let silent = false;
      handlers.set('rpc.runs.get-run', () => (silent ? undefined : { response: view }));
      const res = await fetch(`${base}/api/runs/${id}/stream/status`);
      expect(res.status).toBe(200);
      // The read this event triggers gets no answer (runs away); the change it announced is not lost.
      silent = true;
      nc.publish(subjects.runUpdated(id), '{}');
      await eventually(() => (rpcCalls('rpc.runs.get-run').length >= 2 ? true : undefined));
      view = runView(id, 'SUCCESS', 'ExecuteST');
      silent = false;
      const lines = await streamEnds(res, 8000);
      expect(lines.map((l) => [l.status, l.lastStep])).toEqual([
        ['PENDING', 'CompileST'],
        ['SUCCESS', 'ExecuteST'],
      ]);
    });

    // Last in this block: it restarts the NATS server under the gateway and the fake services.
    it('reads every open stream again when NATS comes back: a change announced meanwhile still shows', async () => {
      const id = wid();
      let view = runView(id, 'PENDING', 'CompileST', 'APPROVE_PLAN');
      handlers.set('rpc.runs.get-run', () => ({ response: view }));
      const res = await fetch(`${base}/api/runs/${id}/stream/status`);
      expect(res.status).toBe(200);
      await nats.stop();
      // The run ends while the gateway is disconnected: its run-updated event reaches no one.
      view = runView(id, 'SUCCESS', 'ExecuteST');
      await nats.restart();
      const lines = await streamEnds(res, 15_000);
      expect(lines.map((l) => [l.status, l.lastStep])).toEqual([
        ['PENDING', 'CompileST'],
        ['SUCCESS', 'ExecuteST'],
      ]);
    }, 30_000);
  });
});
