import { counterDelta, type PgCounterSnapshot } from './pg-counters';

const snap = (at: number, commits: number, outboxIns: number, runsSeq: number): PgCounterSnapshot => ({
  at,
  database: { xact_commit: commits, tup_inserted: outboxIns },
  tables: {
    'gates.outbox': { ins: outboxIns, upd: 0, del: 0, seqRead: 0, idxRead: 0, seqScans: 0 },
    'runs.runs': { ins: 0, upd: 0, del: 0, seqRead: runsSeq, idxRead: 0, seqScans: runsSeq ? 1 : 0 },
  },
  indexes: { 'gates.outbox_unpublished_idx': { scans: commits / 10, entriesRead: commits * 100 } },
});

describe('counterDelta', () => {
  it('gives activity per unit of work, busiest tables first', () => {
    const d = counterDelta(snap(0, 100, 10, 0), snap(2000, 150, 30, 500), 10);
    expect(d.wallS).toBe(2);
    expect(d.perUnit.xact_commit).toBe(5);
    expect(d.totals.tup_inserted).toBe(20);
    expect(d.tablesPerUnit).toEqual([{ table: 'gates.outbox', ins: 2, upd: 0, del: 0 }]);
    expect(d.readsPerUnit).toEqual([{ table: 'runs.runs', seqScans: 0.1, seqRead: 50, idxRead: 0 }]);
    expect(d.indexesPerUnit).toEqual([
      { index: 'gates.outbox_unpublished_idx', scans: 0.5, entriesRead: 500, entriesPerScan: 1000 },
    ]);
  });

  it('counts a table created between the snapshots from zero, and zero units as zero', () => {
    const a = snap(0, 0, 0, 0);
    delete (a.tables as Record<string, unknown>)['gates.outbox'];
    expect(counterDelta(a, snap(1000, 1, 4, 0), 2).tablesPerUnit[0]).toEqual({
      table: 'gates.outbox',
      ins: 2,
      upd: 0,
      del: 0,
    });
    expect(counterDelta(a, snap(1000, 1, 4, 0), 0).perUnit.xact_commit).toBe(0);
  });

  it('gives rates per second of the interval', () => {
    expect(counterDelta(snap(0, 100, 0, 0), snap(4000, 120, 0, 0), 'seconds').perUnit.xact_commit).toBe(5);
  });
});
