import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { Stack } from '../tools/test-support/stack';
import { Api } from './support/http';
import { rowCounts } from './support/row-counts';
import { planGateOpen, startRun } from './support/scenario';

/**
 * Fail-closed: every malformed request gets a 4xx with a stable code and writes nothing, not even an
 * audit row. Requests are aimed at a real pending gate so a 404 is not the easy way out.
 */
describe('fail-closed input handling (e2e)', () => {
  let stack: Stack;
  let api: Api;
  let wid: string;

  beforeAll(async () => {
    stack = await Stack.start({ name: 'failclosed' });
    api = new Api(stack.baseUrl);
    wid = await startRun(api);
    await planGateOpen(api, wid);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const reply = () => `/api/runs/${wid}/gates/approve-plan/reply`;

  async function expectRejected(
    send: () => Promise<{ status: number; body: any }>,
    status: number,
    code: string,
  ): Promise<void> {
    const before = await rowCounts(stack.db);
    const res = await send();
    expect({ status: res.status, code: res.body?.error }).toEqual({ status, code });
    expect(typeof res.body.message).toBe('string');
    expect(await rowCounts(stack.db)).toEqual(before);
  }

  it.each([
    ['bad JSON', () => api.post(reply(), undefined, { raw: '{"payload": {"choice": "yes"' }), 400, 'INVALID_JSON'],
    ['missing dedupeKey', () => api.post(reply(), { payload: { choice: 'yes' } }), 400, 'VALIDATION_FAILED'],
    [
      'unknown field',
      () => api.post(reply(), { payload: { choice: 'yes' }, dedupeKey: 'k1', extra: 1 }),
      400,
      'VALIDATION_FAILED',
    ],
    [
      'unknown nested field',
      () => api.post(reply(), { payload: { choice: 'yes', admin: true }, dedupeKey: 'k1' }),
      400,
      'VALIDATION_FAILED',
    ],
    [
      'NUL character (Postgres cannot store it)',
      () => api.post(reply(), { payload: { choice: 'yes', rationale: 'a\u0000b' }, dedupeKey: 'k1' }),
      400,
      'VALIDATION_FAILED',
    ],
    [
      'NUL character in intent inputs',
      () => api.post('/api/intents', { goal: 'g', inputs: { note: '\u0000' } }),
      400,
      'VALIDATION_FAILED',
    ],
    [
      'unknown field named like an inherited member',
      () => api.post(reply(), { payload: { choice: 'yes' }, dedupeKey: 'k1', toString: [] }),
      400,
      'VALIDATION_FAILED',
    ],
    ['wrong type', () => api.post(reply(), { payload: { choice: 42 }, dedupeKey: 'k1' }), 400, 'VALIDATION_FAILED'],
    [
      'over-long rationale',
      () => api.post(reply(), { payload: { choice: 'yes', rationale: 'x'.repeat(4001) }, dedupeKey: 'k1' }),
      400,
      'VALIDATION_FAILED',
    ],
    [
      'choice outside the prompt',
      () => api.post(reply(), { payload: { choice: 'maybe' }, dedupeKey: 'k1' }),
      400,
      'INVALID_CHOICE',
    ],
    [
      'bad gate key',
      () => api.post(`/api/runs/${wid}/gates/Approve_Plan/reply`, { payload: { choice: 'yes' }, dedupeKey: 'k1' }),
      400,
      'INVALID_GATE_KEY',
    ],
    [
      'body over the size limit',
      () => api.post(reply(), { payload: { choice: 'yes', rationale: 'x'.repeat(400_000) }, dedupeKey: 'k1' }),
      413,
      'PAYLOAD_TOO_LARGE',
    ],
    [
      'unknown run',
      () =>
        api.post(`/api/runs/${randomUUID()}/gates/approve-plan/reply`, { payload: { choice: 'yes' }, dedupeKey: 'k1' }),
      404,
      'RUN_NOT_FOUND',
    ],
    [
      'run id not a UUID',
      () => api.post(`/api/runs/not-a-uuid/gates/approve-plan/reply`, { payload: { choice: 'yes' }, dedupeKey: 'k1' }),
      404,
      'RUN_NOT_FOUND',
    ],
    [
      'unknown gate',
      () => api.post(`/api/runs/${wid}/gates/deploy-prod/reply`, { payload: { choice: 'yes' }, dedupeKey: 'k1' }),
      404,
      'GATE_NOT_FOUND',
    ],
    ['timeoutS 31', () => api.get(`/api/runs/${wid}/gates/approve-plan?timeoutS=31`), 400, 'INVALID_TIMEOUT'],
    ['timeoutS -1', () => api.get(`/api/runs/${wid}/gates/approve-plan?timeoutS=-1`), 400, 'INVALID_TIMEOUT'],
    ['timeoutS 1.5', () => api.get(`/api/runs/${wid}/gates/approve-plan?timeoutS=1.5`), 400, 'INVALID_TIMEOUT'],
    ['timeoutS abc', () => api.get(`/api/runs/${wid}/gates/approve-plan?timeoutS=abc`), 400, 'INVALID_TIMEOUT'],
    [
      'queue law',
      () =>
        api.post('/api/runs', {
          intentId: wid,
          queueName: 'sbxQ',
          queuePartitionKey: 'p',
          recipeName: 'agent-plan',
          workload: { concurrency: 1, steps: 1, sandboxMinutes: 1 },
        }),
      400,
      'QUEUE_NOT_ALLOWED',
    ],
    [
      'partition law',
      () =>
        api.post('/api/runs', {
          intentId: wid,
          queueName: 'intentQ',
          queuePartitionKey: '  ',
          recipeName: 'agent-plan',
          workload: { concurrency: 1, steps: 1, sandboxMinutes: 1 },
        }),
      400,
      'PARTITION_KEY_REQUIRED',
    ],
    [
      'unknown recipe',
      () =>
        api.post('/api/runs', {
          intentId: wid,
          queueName: 'intentQ',
          queuePartitionKey: 'p',
          recipeName: 'yolo',
          workload: { concurrency: 1, steps: 1, sandboxMinutes: 1 },
        }),
      400,
      'UNKNOWN_RECIPE',
    ],
    [
      'unknown intent',
      () =>
        api.post('/api/runs', {
          intentId: randomUUID(),
          queueName: 'intentQ',
          queuePartitionKey: 'p',
          recipeName: 'agent-plan',
          workload: { concurrency: 1, steps: 1, sandboxMinutes: 1 },
        }),
      404,
      'INTENT_NOT_FOUND',
    ],
    ['intent without goal', () => api.post('/api/intents', { inputs: {} }), 400, 'VALIDATION_FAILED'],
    [
      'topic mismatch',
      () =>
        api.post('/api/events/hitl', {
          workflowId: wid,
          gateKey: 'approve-plan',
          topic: 'human:other',
          payload: { choice: 'yes' },
          dedupeKey: 'k1',
          origin: 'x',
        }),
      409,
      'TOPIC_MISMATCH',
    ],
  ] as const)('%s', async (_name, send, status, code) => {
    await expectRejected(send, status, code);
  });

  it('answers thousands of generated malformed requests with 4xx and writes nothing', async () => {
    const before = await rowCounts(stack.db);
    const valid = { payload: { choice: 'yes', rationale: 'fine' }, dedupeKey: 'fuzz' };
    // Each generator breaks a valid body in one way that the rules of DESIGN section 3 reject.
    const broken = fc.oneof(
      fc
        .anything()
        .filter((v) => typeof v !== 'object' || v === null || Array.isArray(v))
        .map((v) => ({ body: v })),
      fc
        .dictionary(fc.string(), fc.jsonValue())
        .filter((d) => !('payload' in d && 'dedupeKey' in d))
        .map((body) => ({ body })),
      fc
        .record({
          k: fc.string({ minLength: 1 }).filter((k) => !['payload', 'dedupeKey', '__proto__'].includes(k)),
          v: fc.jsonValue(),
        })
        .map(({ k, v }) => ({ body: { ...valid, [k]: v } })),
      fc
        .jsonValue()
        .filter((v) => typeof v !== 'string')
        .map((v) => ({ body: { ...valid, dedupeKey: v } })),
      fc
        .jsonValue()
        .filter((v) => typeof v !== 'string')
        .map((v) => ({ body: { ...valid, payload: { choice: v } } })),
      fc
        .string()
        .filter((s) => s !== 'yes' && s !== 'no')
        .map((s) => ({ body: { ...valid, payload: { choice: s } } })),
      fc.string({ minLength: 1 }).map((s) => ({ raw: `{"payload":${s}` })),
      fc
        .string()
        .filter((g) => !/^[a-z0-9][a-z0-9-]{0,62}$/.test(g))
        .map((g) => ({ gate: encodeURIComponent(g) || '%20', body: valid })),
    );
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(broken, async (c: { body?: unknown; raw?: string; gate?: string }) => {
        const path = c.gate ? `/api/runs/${wid}/gates/${c.gate}/reply` : reply();
        const res =
          c.raw !== undefined ? await api.post(path, undefined, { raw: c.raw }) : await api.post(path, c.body);
        sent++;
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(typeof res.body?.error).toBe('string');
      }),
      { numRuns: 2000 },
    );
    expect(sent).toBe(2000);
    expect(await rowCounts(stack.db)).toEqual(before);
    const gate = await api.get(`/api/runs/${wid}/gates/approve-plan`);
    expect(gate.body.state).toBe('PENDING');
  }, 300_000);
});
