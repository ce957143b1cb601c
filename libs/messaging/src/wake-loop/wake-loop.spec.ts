import { MAX_TIMER_DELAY_MS, WakeLoop, type WakeLoopOptions, type WakePass, type WakePassResult } from './wake-loop';

/** Fake work: each pass waits until the test ends it with a result or an error. */
function fakeWork() {
  const passes: Array<{ ctx: WakePass; end: (r?: WakePassResult) => void; fail: (err: unknown) => void }> = [];
  const pass = (ctx: WakePass) =>
    new Promise<WakePassResult>((resolve, reject) => passes.push({ ctx, end: resolve, fail: reject }));
  return { passes, pass };
}

async function ticks(n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

describe('WakeLoop', () => {
  const loops: WakeLoop[] = [];
  const errors: unknown[] = [];

  function newLoop(options: Partial<WakeLoopOptions> = {}) {
    const work = fakeWork();
    const loop = new WakeLoop({
      pass: work.pass,
      errorBackoffMs: 1000,
      onError: (err) => errors.push(err),
      ...options,
    });
    loops.push(loop);
    return { loop, passes: work.passes };
  }

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    errors.length = 0;
  });

  afterEach(async () => {
    // Let any pass still waiting end so that stop() can resolve.
    const stopping = loops.splice(0).map((l) => l.stop());
    jest.useRealTimers();
    await Promise.all(stopping.map((s) => Promise.race([s, ticks(50)])));
  });

  it('runs one pass on start and sleeps after it', async () => {
    const { loop, passes } = newLoop();
    loop.start();
    await ticks();
    expect(passes).toHaveLength(1);
    passes[0].end();
    await ticks();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(passes).toHaveLength(1);
  });

  it('turns any number of pokes during a pass into exactly one more pass', async () => {
    const { loop, passes } = newLoop();
    loop.start();
    await ticks();
    for (let i = 0; i < 100; i++) loop.poke();
    await ticks();
    expect(passes).toHaveLength(1);
    passes[0].end();
    await ticks();
    expect(passes).toHaveLength(2);
    passes[1].end();
    await ticks();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(passes).toHaveLength(2);
  });

  it('coalesces a burst of pokes while asleep into one pass, plus one for the pokes after the first', async () => {
    const { loop, passes } = newLoop();
    loop.start();
    await ticks();
    passes[0].end();
    await ticks();
    // The first poke starts a pass at once; the other 99 land during it.
    for (let i = 0; i < 100; i++) loop.poke();
    await ticks();
    expect(passes).toHaveLength(2);
    passes[1].end();
    await ticks();
    expect(passes).toHaveLength(3);
    passes[2].end();
    await ticks();
    expect(passes).toHaveLength(3);
  });

  // Whatever microtask a poke lands in while a run is ending, it is served at once, not at the next poll.
  it.each(Array.from({ length: 12 }, (_, k) => k))(
    'does not lose a poke made %i microtasks after the last pass ends',
    async (k) => {
      const { loop, passes } = newLoop({ pollIntervalMs: 3_600_000 });
      loop.start();
      await ticks();
      passes[0].end();
      await ticks(k);
      loop.poke();
      await ticks();
      expect(passes).toHaveLength(2);
      passes[1].end();
    },
  );

  it("runs again at once when a pass says 'again', and stops when one does not", async () => {
    const { loop, passes } = newLoop();
    loop.start();
    await ticks();
    passes[0].end('again');
    await ticks();
    expect(passes).toHaveLength(2);
    passes[1].end('again');
    await ticks();
    expect(passes).toHaveLength(3);
    passes[2].end();
    await ticks();
    expect(passes).toHaveLength(3);
  });

  it('wakes when a pass asked to, not before; a later pass without a wake-up cancels it', async () => {
    const { loop, passes } = newLoop();
    loop.start();
    await ticks();
    const asked = Date.now();
    passes[0].end({ wakeInMs: 500 });
    await ticks();
    expect(loop.nextWakeAt?.getTime()).toBe(asked + 500);
    await jest.advanceTimersByTimeAsync(499);
    expect(passes).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(passes).toHaveLength(2);
    expect(loop.nextWakeAt).toBeNull();

    passes[1].end({ wakeInMs: 500 });
    await ticks();
    loop.poke();
    await ticks();
    expect(passes).toHaveLength(3);
    passes[2].end();
    await ticks();
    expect(loop.nextWakeAt).toBeNull();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(passes).toHaveLength(3);
  });

  it('holds pokes until the retry a pass asked for, then runs one pass for them all', async () => {
    const { loop, passes } = newLoop();
    loop.start();
    await ticks();
    loop.poke(); // during the pass: not served at once either, since the pass asks to retry later
    passes[0].end({ retryInMs: 25 });
    await ticks();
    for (let i = 0; i < 10; i++) loop.poke();
    await jest.advanceTimersByTimeAsync(24);
    expect(passes).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(passes).toHaveLength(2);
    passes[1].end();
    await ticks();
    await jest.advanceTimersByTimeAsync(1000);
    expect(passes).toHaveLength(2);
  });

  it('keeps a very long wake-up within what setTimeout can hold instead of firing it at once', async () => {
    const { loop, passes } = newLoop();
    loop.start();
    await ticks();
    const asked = Date.now();
    passes[0].end({ wakeInMs: 365 * 24 * 3600 * 1000 });
    await ticks();
    expect(loop.nextWakeAt?.getTime()).toBe(asked + MAX_TIMER_DELAY_MS);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(passes).toHaveLength(1);
  });

  it('reports a failed pass, retries it after the backoff (pokes meanwhile wait for it) and goes on', async () => {
    const { loop, passes } = newLoop({ errorBackoffMs: 1000 });
    loop.start();
    await ticks();
    const boom = new Error('database down');
    passes[0].fail(boom);
    await ticks();
    expect(errors).toEqual([boom]);
    loop.poke();
    loop.poke();
    await jest.advanceTimersByTimeAsync(999);
    expect(passes).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(passes).toHaveLength(2);
    passes[1].end();
    await ticks();
    await jest.advanceTimersByTimeAsync(5_000);
    expect(passes).toHaveLength(2);
    // The loop still answers pokes.
    loop.poke();
    await ticks();
    expect(passes).toHaveLength(3);
    passes[2].end();
  });

  it('goes on when reporting the failure fails too', async () => {
    const { loop, passes } = newLoop({
      errorBackoffMs: 100,
      onError: () => {
        throw new Error('logger broken');
      },
    });
    loop.start();
    await ticks();
    passes[0].fail(new Error('boom'));
    await jest.advanceTimersByTimeAsync(100);
    expect(passes).toHaveLength(2);
    passes[1].end();
  });

  it('polls when no poke comes, and tells the pass it was polled', async () => {
    const { loop, passes } = newLoop({ pollIntervalMs: 1000 });
    loop.start();
    await ticks();
    expect(passes[0].ctx.polled).toBe(false);
    passes[0].end();
    await jest.advanceTimersByTimeAsync(999);
    expect(passes).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(passes).toHaveLength(2);
    expect(passes[1].ctx.polled).toBe(true);
    passes[1].end();
    await ticks();
    loop.poke();
    await ticks();
    expect(passes).toHaveLength(3);
    expect(passes[2].ctx.polled).toBe(false);
    passes[2].end();
    await jest.advanceTimersByTimeAsync(1000);
    expect(passes.map((p) => p.ctx.polled)).toEqual([false, true, false, true]);
    passes[3].end();
  });

  it('stop() resolves only after the pass in flight ends, and no pass starts after it', async () => {
    const { loop, passes } = newLoop({ pollIntervalMs: 100 });
    loop.start();
    await ticks();
    loop.poke(); // would run one more pass, but the loop stops first
    let stopped = false;
    const stopping = loop.stop().then(() => (stopped = true));
    await ticks();
    expect(stopped).toBe(false);
    passes[0].end({ wakeInMs: 50 });
    await stopping;
    expect(stopped).toBe(true);
    loop.poke();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(passes).toHaveLength(1);
    expect(loop.nextWakeAt).toBeNull();
  });

  it('stop() during an error backoff cancels the retry', async () => {
    const { loop, passes } = newLoop({ errorBackoffMs: 100 });
    loop.start();
    await ticks();
    passes[0].fail(new Error('boom'));
    await ticks();
    await loop.stop();
    await jest.advanceTimersByTimeAsync(1000);
    expect(passes).toHaveLength(1);
  });
});
