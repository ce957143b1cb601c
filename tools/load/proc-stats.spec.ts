import { CpuWindow, readMachineCpu, readProc } from './proc-stats';

describe('process statistics from /proc', () => {
  it('reads this process', () => {
    const s = readProc(process.pid);
    expect(s).toBeDefined();
    expect(s!.rssMb).toBeGreaterThan(1);
    expect(s!.peakRssMb).toBeGreaterThanOrEqual(s!.rssMb);
    expect(s!.cpuS).toBeGreaterThan(0);
  });

  it('answers undefined for a process that is gone', () => {
    expect(readProc(2 ** 22 + 12345)).toBeUndefined();
  });

  it('sees the CPU a busy loop burns inside a window', () => {
    const w = new CpuWindow();
    const me = [{ name: 'me', pid: process.pid }];
    w.start(me);
    const until = Date.now() + 300;
    let x = 0;
    while (Date.now() < until) x += Math.sqrt(x + 1);
    const r = w.stop(me);
    expect(x).toBeGreaterThan(0);
    expect(r.processes[0].name).toBe('me');
    // One core spinning for the whole window: near 100 %, allowing for scheduling on a shared box.
    expect(r.processes[0].cpuPercent).toBeGreaterThan(40);
    expect(r.processes[0].cpuPercent).toBeLessThan(130);
    expect(r.cores).toBeGreaterThanOrEqual(1);
  });

  it('sums processes of one name into one line', () => {
    const w = new CpuWindow();
    const twice = [
      { name: 'pg', pid: process.pid },
      { name: 'pg', pid: process.ppid },
    ];
    w.start(twice);
    const r = w.stop(twice);
    expect(r.processes).toHaveLength(1);
    expect(r.processes[0].name).toBe('pg (2 processes)');
  });

  it('reads the machine-wide counters', () => {
    const m = readMachineCpu();
    expect(m.total).toBeGreaterThan(m.busy);
    expect(m.busy).toBeGreaterThan(0);
  });
});
