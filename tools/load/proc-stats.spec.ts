import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { CpuWindow, readMachineCpu, readOnCpuMs, readProc } from './proc-stats';

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
    expect(readOnCpuMs(2 ** 22 + 12345)).toBeNaN();
  });

  it("reads a process's time on a CPU to below a clock tick", () => {
    const before = readOnCpuMs(process.pid);
    // 3 ms of CPU, less than one 10 ms clock tick, as the kernel's rusage counts it: spinning for
    // 3 ms of wall time could be preempted on a busy machine and burn less.
    const cpuMs = () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1000;
    };
    const from = cpuMs();
    while (cpuMs() - from < 3);
    const spent = readOnCpuMs(process.pid) - before;
    expect(spent).toBeGreaterThanOrEqual(2.5);
    expect(spent).toBeLessThan(1000);
  });

  it('sees the CPU a busy loop burns inside a window', async () => {
    // A process of its own, so that the window holds the spinning thread only, not the test
    // runner's other threads (GC, compilers) that may be busy at the same moment.
    const child = spawn(process.execPath, ['-e', 'const u = Date.now() + 5000; while (Date.now() < u);'], {
      stdio: 'ignore',
    });
    try {
      const spinner = [{ name: 'spinner', pid: child.pid! }];
      await sleep(200);
      const w = new CpuWindow();
      // The reference is the scheduler's own nanosecond count (schedstat), read beside the window's
      // clock-tick count: on a loaded machine the spinner gets less than a core, and the window must
      // say how much it got, not 100 %.
      const onCpu0 = readOnCpuMs(child.pid!);
      const wall0 = Date.now();
      w.start(spinner);
      await sleep(500);
      const r = w.stop(spinner);
      const referencePercent = (100 * (readOnCpuMs(child.pid!) - onCpu0)) / (Date.now() - wall0);
      expect(r.processes[0].name).toBe('spinner');
      expect(referencePercent).toBeGreaterThan(5);
      // Two 10 ms ticks of rounding over a 0.5 s window, plus the few ms between the two readings.
      expect(Math.abs(r.processes[0].cpuPercent - referencePercent)).toBeLessThan(10);
      expect(r.cores).toBeGreaterThanOrEqual(1);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('counts the wake-ups and the kernel time of a process that sleeps and writes', async () => {
    // 50 sleeps of 5 ms: each one a voluntary context switch; each write a system call in the kernel.
    const child = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('fs'); let i = 0;
         setTimeout(function tick() { fs.writeSync(fs.openSync('/dev/null', 'w'), 'x'.repeat(1 << 16)); if (++i < 50) setTimeout(tick, 5); }, 300);
         setTimeout(() => {}, 2000);`,
      ],
      { stdio: 'ignore' },
    );
    try {
      const p = [{ name: 'sleeper', pid: child.pid! }];
      await sleep(250);
      const w = new CpuWindow();
      w.start(p);
      await sleep(900);
      const r = w.stop(p).processes[0];
      expect(r.ctxSwitches).toBeGreaterThanOrEqual(50);
      expect(r.syscalls).toBeGreaterThanOrEqual(50);
      expect(r.sysCpuS).toBeGreaterThanOrEqual(0);
      expect(r.sysCpuS).toBeLessThanOrEqual(r.cpuS);
    } finally {
      child.kill('SIGKILL');
    }
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
