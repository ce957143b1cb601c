import { fairShare, type WaitingPartition } from './fair-share';

const none = () => 0;
const p = (key: string, inFlight: number, head: number): WaitingPartition => ({ key, inFlight, head });

describe('fairShare', () => {
  it('gives a newcomer the next free slot however much a busy partition has in flight', () => {
    const quotas = fairShare({
      window: 64,
      inFlightTotal: 63,
      partitions: [p('busy', 63, 1), p('new', 0, 9000)],
      limitOf: none,
    });
    expect([...quotas]).toEqual([['new', 1]]);
  });

  it('fills free slots level by level: fewest in flight first, oldest waiting first among equals', () => {
    const quotas = fairShare({
      window: 10,
      inFlightTotal: 4,
      partitions: [p('a', 4, 1), p('b', 0, 5), p('c', 1, 3)],
      limitOf: none,
    });
    // 6 free slots: b goes 0→1, then b and c alternate (c first: its head is older) up to 4 each; a stays at 4.
    expect(Object.fromEntries(quotas)).toEqual({ b: 3, c: 3 });
    expect([...quotas.values()].reduce((s, n) => s + n, 0)).toBe(6);
  });

  it('stops at the window: nothing when it is full, whoever waits', () => {
    expect(fairShare({ window: 8, inFlightTotal: 8, partitions: [p('x', 0, 1)], limitOf: none }).size).toBe(0);
    expect(fairShare({ window: 8, inFlightTotal: 9, partitions: [p('x', 0, 1)], limitOf: none }).size).toBe(0);
  });

  it('keeps each partition under its own limit and gives the rest to others', () => {
    const limits: Record<string, number> = { a: 2 };
    const quotas = fairShare({
      window: 10,
      inFlightTotal: 1,
      partitions: [p('a', 1, 1), p('b', 0, 2)],
      limitOf: (k) => limits[k] ?? 0,
    });
    expect(Object.fromEntries(quotas)).toEqual({ a: 1, b: 8 });
  });

  it('leaves a partition at its limit out, even with the window free', () => {
    const quotas = fairShare({ window: 100, inFlightTotal: 3, partitions: [p('a', 3, 1)], limitOf: () => 3 });
    expect(quotas.size).toBe(0);
  });

  it('spreads one slot per partition over thousands of partitions, oldest heads first', () => {
    const partitions = Array.from({ length: 5000 }, (_, i) => p(`t${i}`, 0, 5000 - i));
    const quotas = fairShare({ window: 64, inFlightTotal: 0, partitions, limitOf: none });
    expect(quotas.size).toBe(64);
    expect([...quotas.values()].every((n) => n === 1)).toBe(true);
    // Heads 1..64 are partitions t4999..t4936.
    expect(quotas.has('t4999')).toBe(true);
    expect(quotas.has('t4936')).toBe(true);
    expect(quotas.has('t4935')).toBe(false);
  });
});
