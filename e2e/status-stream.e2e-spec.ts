import { Stack } from '../tools/test-support/stack';
import { Api } from './support/http';
import { planGateOpen, startRun } from './support/scenario';

/** GET /api/runs/:wid/stream/status: NDJSON, one snapshot per change, ends after the terminal one. */
describe('run status stream (e2e)', () => {
  let stack: Stack;
  let api: Api;

  beforeAll(async () => {
    stack = await Stack.start({ name: 'stream' });
    api = new Api(stack.baseUrl);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('streams snapshots until SUCCESS and then ends', async () => {
    const wid = await startRun(api);
    await planGateOpen(api, wid);
    const res = await fetch(`${stack.baseUrl}/api/runs/${wid}/stream/status`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');
    const reading = res.text();
    await new Promise((r) => setTimeout(r, 200));
    await api.post(`/api/runs/${wid}/gates/approve-plan/reply`, { payload: { choice: 'yes' }, dedupeKey: `s-${wid}` });
    const lines = (await reading)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ workflowID: wid, status: 'PENDING', nextAction: 'APPROVE_PLAN' });
    expect(lines[lines.length - 1]).toMatchObject({ workflowID: wid, status: 'SUCCESS' });
    expect(lines.slice(0, -1).every((l) => l.status !== 'SUCCESS')).toBe(true);
    for (let i = 1; i < lines.length; i++) expect(JSON.stringify(lines[i])).not.toEqual(JSON.stringify(lines[i - 1]));
    // ApplyPatchST, DecideST and ExecuteST's fan-out commit together: no snapshot stops between them.
    expect(lines.map((l) => l.lastStep)).not.toContain('ApplyPatchST');
  });

  it('answers 404 for an unknown run', async () => {
    const res = await api.get(`/api/runs/00000000-0000-4000-8000-000000000000/stream/status`);
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('RUN_NOT_FOUND');
  });
});
