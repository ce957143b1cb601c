import { throttle, type Timers } from './throttle';

/** A clock the test moves by hand; timers fire in due order as it passes them. */
class FakeTimers implements Timers {
  private t = 0;
  private next = 1;
  private readonly due = new Map<number, { at: number; run: () => void }>();
  now = () => this.t;
  setTimeout = (run: () => void, ms: number) => {
    const id = this.next++;
    this.due.set(id, { at: this.t + ms, run });
    return id;
  };
  clearTimeout = (id: unknown) => void this.due.delete(id as number);
  get pending() {
    return this.due.size;
  }
  advance(ms: number) {
    const until = this.t + ms;
    for (;;) {
      const [id, first] = [...this.due].sort((a, b) => a[1].at - b[1].at)[0] ?? [];
      if (!first || first.at > until) break;
      this.due.delete(id!);
      this.t = first.at;
      first.run();
    }
    this.t = until;
  }
}

describe('throttle', () => {
  let clock: FakeTimers;
  let runs: number[];
  let t: ReturnType<typeof throttle>;
  beforeEach(() => {
    clock = new FakeTimers();
    runs = [];
    t = throttle(() => runs.push(clock.now()), 1000, clock);
  });

  it('runs the first call of a quiet spell at once', () => {
    t.call();
    expect(runs).toEqual([0]);
    clock.advance(1500);
    t.call();
    expect(runs).toEqual([0, 1500]);
  });

  it('collapses a burst into one run per interval, with one after the last call', () => {
    // 300 events a second for 2.5 s.
    for (let i = 0; i < 750; i++) {
      t.call();
      clock.advance(1000 / 300);
    }
    const lastCall = clock.now() - 1000 / 300;
    clock.advance(5000);
    expect(runs.length).toBe(4);
    for (let i = 1; i < runs.length; i++) expect(runs[i] - runs[i - 1]).toBeGreaterThanOrEqual(1000);
    expect(runs[runs.length - 1]).toBeGreaterThanOrEqual(lastCall);
    expect(clock.pending).toBe(0);
  });

  it('answers a lone call right after a run at the end of the interval, not never', () => {
    t.call();
    clock.advance(10);
    t.call();
    expect(runs).toEqual([0]);
    clock.advance(989);
    expect(runs).toEqual([0]);
    clock.advance(1);
    expect(runs).toEqual([0, 1000]);
    clock.advance(5000);
    expect(runs).toEqual([0, 1000]);
  });

  it('drops the waiting run on cancel', () => {
    t.call();
    t.call();
    t.cancel();
    clock.advance(5000);
    expect(runs).toEqual([0]);
    expect(clock.pending).toBe(0);
  });
});
