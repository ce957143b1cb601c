import 'reflect-metadata';
import { ErrorCode, GatehouseError } from '@gatehouse/contracts';
import { gateWaitKey, WaiterRegistry } from './waiter-registry';

describe('WaiterRegistry', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('wakes every waiter of a key on notify, and only that key', async () => {
    const reg = new WaiterRegistry(10);
    const a1 = reg.register('w/a', 30_000);
    const a2 = reg.register('w/a', 30_000);
    const b = reg.register('w/b', 30_000);
    expect(reg.size).toBe(3);
    expect(reg.notify('w/a')).toBe(2);
    await expect(a1.woken).resolves.toBe('notified');
    await expect(a2.woken).resolves.toBe('notified');
    expect(reg.size).toBe(1);
    expect(reg.keys()).toEqual(['w/b']);
    b.cancel();
    expect(reg.size).toBe(0);
    expect(reg.keys()).toEqual([]);
  });

  it('answers at the timeout when nobody notifies, and removes the waiter', async () => {
    const reg = new WaiterRegistry(10);
    const w = reg.register('w/a', 1000);
    let settled: string | undefined;
    void w.woken.then((r) => (settled = r));
    await jest.advanceTimersByTimeAsync(999);
    expect(settled).toBeUndefined();
    await jest.advanceTimersByTimeAsync(1);
    expect(settled).toBe('timeout');
    expect(reg.size).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('clears the timer when notified, and a notify after settling changes nothing', async () => {
    const reg = new WaiterRegistry(10);
    const w = reg.register('w/a', 1000);
    expect(jest.getTimerCount()).toBe(1);
    reg.notify('w/a');
    expect(jest.getTimerCount()).toBe(0);
    expect(reg.notify('w/a')).toBe(0);
    await expect(w.woken).resolves.toBe('notified');
  });

  it('cleans up on abort (client disconnect): no waiter, no timer', async () => {
    const reg = new WaiterRegistry(10);
    const ac = new AbortController();
    const w = reg.register('w/a', 30_000, ac.signal);
    ac.abort();
    await expect(w.woken).resolves.toBe('aborted');
    expect(reg.size).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
    expect(reg.notify('w/a')).toBe(0);
  });

  it('settles at once for a signal already aborted', async () => {
    const reg = new WaiterRegistry(10);
    const ac = new AbortController();
    ac.abort();
    const w = reg.register('w/a', 30_000, ac.signal);
    await expect(w.woken).resolves.toBe('aborted');
    expect(reg.size).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('cancel is idempotent and never double-counts', () => {
    const reg = new WaiterRegistry(10);
    const w = reg.register('w/a', 30_000);
    w.cancel();
    w.cancel();
    reg.notify('w/a');
    expect(reg.size).toBe(0);
    reg.register('w/a', 30_000);
    expect(reg.size).toBe(1);
  });

  it('refuses a waiter past the cap with 503 OVERLOADED and accepts again once one leaves', () => {
    const reg = new WaiterRegistry(2);
    const first = reg.register('w/a', 30_000);
    reg.register('w/b', 30_000);
    let thrown: unknown;
    try {
      reg.register('w/c', 30_000);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(GatehouseError);
    expect((thrown as GatehouseError).code).toBe(ErrorCode.OVERLOADED);
    expect(reg.size).toBe(2);
    first.cancel();
    expect(() => reg.register('w/c', 30_000)).not.toThrow();
  });

  it('keys gates by run and gate key', () => {
    expect(gateWaitKey('wid', 'approve-plan')).toBe('wid/approve-plan');
  });
});
