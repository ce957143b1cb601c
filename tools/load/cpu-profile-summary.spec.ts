import { summarizeProfile } from './cpu-profile-summary';

describe('summarizeProfile', () => {
  it('adds self time per module and per function', () => {
    const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 9 });
    const profile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', ''), children: [2, 3, 4] },
        { id: 2, callFrame: frame('query', 'file:///w/node_modules/pg/lib/client.js') },
        { id: 3, callFrame: frame('reply', 'file:///w/dist/apps/gates/src/replies/reply.service.js') },
        { id: 4, callFrame: frame('(idle)', '') },
      ],
      samples: [2, 2, 2, 3, 4],
      timeDeltas: [1000, 1000, 1000, 1000, 1000],
      startTime: 0,
      endTime: 5000,
    };
    const s = summarizeProfile(profile);
    expect(s.totalMs).toBe(5);
    expect(s.idlePercent).toBe(20);
    expect(s.byModule[0]).toEqual({ name: 'pg', ms: 3, percent: 60 });
    expect(s.byModule.map((m) => m.name)).toEqual(['pg', 'apps/gates', '(idle)']);
    expect(s.byFunction[0].name).toBe('query pg/lib/client.js:10');
  });
});
