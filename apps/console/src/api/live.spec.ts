import { backoffMs, gateFactAbout } from './live';

describe('reconnect backoff', () => {
  it('doubles from about 1 s to at most 30 s, jittered within the upper half', () => {
    expect([0, 1, 2, 3, 4, 5, 9].map((n) => backoffMs(n, () => 1))).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000,
    ]);
    expect(backoffMs(0, () => 0)).toBe(500);
    expect(backoffMs(8, () => 0)).toBe(15000);
  });
});

describe('gate feed lines', () => {
  const wid = '3f1d2c4b-0000-4000-8000-000000000000';
  it('concern a run when they name it, or when they cannot be read (a re-read is the safe side)', () => {
    expect(gateFactAbout(JSON.stringify({ type: 'opened', workflowId: wid, gateKey: 'approve-plan' }), wid)).toBe(true);
    expect(gateFactAbout(JSON.stringify({ type: 'opened', workflowId: 'other', gateKey: 'approve-plan' }), wid)).toBe(
      false,
    );
    expect(gateFactAbout('not json', wid)).toBe(true);
    expect(gateFactAbout('{}', wid)).toBe(true);
  });
});
