import fc from 'fast-check';
import { afterTaskDone, initialDispatch, type FanOutState } from './fan-out';

describe('ExecuteST fan-out', () => {
  it('starts min(concurrency, total) tasks', () => {
    expect(initialDispatch(5, 2)).toEqual([0, 1]);
    expect(initialDispatch(2, 8)).toEqual([0, 1]);
    expect(initialDispatch(0, 3)).toEqual([]);
  });

  it('dispatches the next index after each finished task until all are out', () => {
    let state: FanOutState = { total: 3, dispatched: 2, done: 0 };
    const a = afterTaskDone(state);
    expect(a).toEqual({ state: { total: 3, dispatched: 3, done: 1 }, dispatch: 2, finished: false });
    state = a.state;
    const b = afterTaskDone(state);
    expect(b).toEqual({ state: { total: 3, dispatched: 3, done: 2 }, dispatch: null, finished: false });
    expect(afterTaskDone(b.state)).toEqual({
      state: { total: 3, dispatched: 3, done: 3 },
      dispatch: null,
      finished: true,
    });
  });

  it('refuses a completion with nothing in flight', () => {
    expect(() => afterTaskDone({ total: 2, dispatched: 1, done: 1 })).toThrow(/no task in flight/);
  });

  it('never has more than `concurrency` in flight and dispatches every index once, whatever finishes first', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 8 }),
        fc.infiniteStream(fc.nat()),
        (total, concurrency, picks) => {
          const inFlight = initialDispatch(total, concurrency);
          const dispatched = [...inFlight];
          let state: FanOutState = { total, dispatched: inFlight.length, done: 0 };
          let finishedCount = 0;
          const pick = picks[Symbol.iterator]();
          while (inFlight.length > 0) {
            expect(inFlight.length).toBeLessThanOrEqual(concurrency);
            inFlight.splice(pick.next().value % inFlight.length, 1);
            const step = afterTaskDone(state);
            state = step.state;
            if (step.dispatch !== null) {
              inFlight.push(step.dispatch);
              dispatched.push(step.dispatch);
            }
            if (step.finished) finishedCount++;
          }
          expect(dispatched).toEqual(Array.from({ length: total }, (_, i) => i));
          expect(finishedCount).toBe(1);
          expect(state).toEqual({ total, dispatched: total, done: total });
        },
      ),
    );
  });
});
