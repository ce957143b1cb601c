import { pickState, pickWithinLimits, type Candidate } from './fair-pick';

const none = () => 0;
const c = (id: number, partitionKey: string): Candidate => ({ id: String(id), partitionKey });

describe('pickWithinLimits', () => {
  it('takes candidates in order up to the free slots of the window', () => {
    const state = pickState(4, new Map([['a', 1]]), none);
    expect(pickWithinLimits([c(1, 'a'), c(2, 'b'), c(3, 'a'), c(4, 'c')], state)).toEqual(['1', '2', '3']);
    expect(state.free).toBe(0);
    expect(state.inFlight).toEqual(
      new Map([
        ['a', 3],
        ['b', 1],
      ]),
    );
  });

  it('skips a partition once it reaches its own limit and gives its turn to the next', () => {
    const limits: Record<string, number> = { a: 2 };
    const state = pickState(10, new Map([['a', 1]]), (k) => limits[k] ?? 0);
    expect(pickWithinLimits([c(1, 'a'), c(2, 'a'), c(3, 'b'), c(4, 'a'), c(5, 'b')], state)).toEqual(['1', '3', '5']);
    expect([...state.capped]).toEqual(['a']);
  });

  it('starts with partitions already at their limit capped, and nothing free when the window is full', () => {
    const atLimit = pickState(10, new Map([['a', 3]]), () => 3);
    expect([...atLimit.capped]).toEqual(['a']);
    expect(pickWithinLimits([c(1, 'a'), c(2, 'b')], atLimit)).toEqual(['2']);
    const full = pickState(5, new Map([['a', 5]]), none);
    expect(full.free).toBe(0);
    expect(pickWithinLimits([c(1, 'b')], full)).toEqual([]);
  });
});
