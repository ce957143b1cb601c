import { runCli } from '../program';
import { FixtureApi } from '../test/fixture-api';
import { memoryIo } from '../test/memory-io';

const WID = '6f1c2a9e-0000-4000-8000-000000000004';
const snapshot = (status: string, lastStep: string | null, error: unknown = null) => ({
  workflowID: WID,
  status,
  nextAction: status === 'PENDING' ? 'APPROVE_PLAN' : 'NONE',
  lastStep,
  error,
  tasks: { total: 5, dispatched: 0, done: 0 },
});
const ndjson = (...lines: unknown[]) => lines.map((l) => `${JSON.stringify(l)}\n`).join('');

/** What the real stack cannot easily show: a status stream that drops before the run ends. */
describe('gatehouse watch: a dropped stream', () => {
  let api: FixtureApi;
  const env = () => ({ GATEHOUSE_URL: api.url });

  beforeAll(async () => {
    api = await FixtureApi.start();
  });
  afterEach(() => api.reset());
  afterAll(() => api.stop());

  it('asks for the run, follows again, prints each change once and exits with the outcome', async () => {
    let streams = 0;
    api
      .on('GET', `/api/runs/${WID}/stream/status`, () =>
        ++streams === 1
          ? { status: 200, raw: ndjson(snapshot('PENDING', 'CompileST')) } // ends early: a gateway restart
          : {
              status: 200,
              raw: ndjson(
                snapshot('PENDING', 'CompileST'),
                snapshot('ERROR', 'CompileST', { code: 'REJECTED', gateKey: 'approve-plan', message: 'no' }),
              ),
            },
      )
      .on('GET', `/api/runs/${WID}`, { status: 200, body: snapshot('PENDING', 'CompileST') });

    const io = memoryIo(env());
    expect(await runCli(['watch', WID, '--exit-status', '--json'], io)).toBe(1);
    expect(streams).toBe(2);
    expect(io.stdout.map((l) => JSON.parse(l).status)).toEqual(['PENDING', 'ERROR']);
    expect(io.stderr).toEqual([`error: run ${WID} ended ERROR: REJECTED no`]);
  });

  it('stops at --timeout with exit 8, and does not retry a 404', async () => {
    api.on('GET', `/api/runs/${WID}/stream/status`, { status: 200, raw: ndjson(snapshot('PENDING', 'CompileST')) });
    api.on('GET', `/api/runs/${WID}`, { status: 200, body: snapshot('PENDING', 'CompileST') });
    const io = memoryIo(env());
    expect(await runCli(['watch', WID, '--timeout', '2s'], io)).toBe(8);
    expect(io.stdout).toHaveLength(1);
    expect(io.stdout[0]).toMatch(/^\d\d:\d\d:\d\d {2}PENDING {2}CompileST {2}waiting: APPROVE_PLAN {2}tasks 0\/5$/);

    api.reset();
    const missing = memoryIo(env());
    expect(await runCli(['watch', WID], missing)).toBe(3);
    expect(api.requests).toHaveLength(1);
  });
});
