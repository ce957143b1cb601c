import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (100 on every common Linux build). */
export const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

export interface ProcSample {
  /** User + system CPU time of the process so far, in seconds. */
  cpuS: number;
  rssMb: number;
  /** Peak RSS (VmHWM). */
  peakRssMb: number;
  /** read/write-family system calls so far (/proc/<pid>/io; socket I/O included), 0 if unreadable. */
  syscalls: number;
  /** System (kernel) part of cpuS. */
  sysCpuS: number;
  /** Context switches of all the process's threads so far, voluntary (a wait: one per wake-up) and not. */
  ctxSwitches: number;
}

/** One process's CPU time and memory, or undefined when it is gone. */
export function readProc(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return {
      cpuS: (utime + stime) / CLK_TCK,
      rssMb: round(kb('VmRSS') / 1024),
      peakRssMb: round(kb('VmHWM') / 1024),
      syscalls: readSyscalls(pid),
      sysCpuS: stime / CLK_TCK,
      ctxSwitches: readCtxSwitches(pid),
    };
  } catch {
    return undefined;
  }
}

function readSyscalls(pid: number): number {
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    const n = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(io)?.[1] ?? 0);
    return n('syscr') + n('syscw');
  } catch {
    return 0;
  }
}

/**
 * One per-thread file (/proc/<pid>/task/<tid>/<file>) of every thread of the process; undefined
 * when the process is gone. A thread that ends between the listing and the read is left out.
 */
function threadFiles(pid: number, file: string): string[] | undefined {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  const out: string[] = [];
  for (const tid of tids) {
    try {
      out.push(readFileSync(`/proc/${pid}/task/${tid}/${file}`, 'utf8'));
    } catch {
      // the thread ended
    }
  }
  return out;
}

/**
 * Time the process's threads have spent on a CPU, in ms, from the scheduler's own clock
 * (schedstat, nanoseconds): precise where the clock-tick counts of /proc/<pid>/stat are 10 ms
 * coarse. NaN when the process is gone.
 */
export function readOnCpuMs(pid: number): number {
  const files = threadFiles(pid, 'schedstat');
  return files ? files.reduce((ns, f) => ns + Number(f.split(' ')[0]), 0) / 1e6 : NaN;
}

/** Summed over the threads: the main thread's own status counts only itself. */
function readCtxSwitches(pid: number): number {
  let n = 0;
  for (const status of threadFiles(pid, 'status') ?? []) {
    for (const m of status.matchAll(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)/gm)) n += Number(m[1]);
  }
  return n;
}

/** Busy and total jiffies of all cores together, from /proc/stat. */
export function readMachineCpu(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = v[3] + (v[4] ?? 0);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

export interface WatchedProcess {
  name: string;
  pid: number;
}

export interface ProcessWindowStats {
  name: string;
  pid: number;
  cpuS: number;
  /** CPU over the window, 100 = one core fully busy. */
  cpuPercent: number;
  rssMb: number;
  peakRssMb: number;
  /** read/write-family system calls in the window (each SQL statement or NATS flush is one or more). */
  syscalls: number;
  /** System (kernel) part of cpuS. */
  sysCpuS: number;
  /** Context switches in the window, all threads. */
  ctxSwitches: number;
}

export interface CpuWindowReport {
  wallS: number;
  /** Busy share of all the machine's cores during the window (100 = all cores busy). */
  machineBusyPercent: number;
  cores: number;
  processes: ProcessWindowStats[];
}

/**
 * CPU used by each watched process between `start()` and `stop()`. The list is given at both ends
 * (Postgres backends come and go): a pid first seen at the end is counted from zero.
 */
export class CpuWindow {
  private readonly startCounts = new Map<number, ProcSample>();
  private startedAt = 0;
  private machine0 = readMachineCpu();

  start(watched: WatchedProcess[]): void {
    this.startedAt = Date.now();
    this.machine0 = readMachineCpu();
    for (const p of watched) {
      const s = readProc(p.pid);
      if (s) this.startCounts.set(p.pid, s);
    }
  }

  stop(watched: WatchedProcess[]): CpuWindowReport {
    const wallS = (Date.now() - this.startedAt) / 1000;
    const m = readMachineCpu();
    const processes: ProcessWindowStats[] = [];
    for (const p of watched) {
      const s = readProc(p.pid);
      if (!s) continue;
      const s0 = this.startCounts.get(p.pid);
      const cpuS = s.cpuS - (s0?.cpuS ?? 0);
      processes.push({
        name: p.name,
        pid: p.pid,
        cpuS: round(cpuS, 2),
        cpuPercent: round(wallS > 0 ? (100 * cpuS) / wallS : 0),
        rssMb: s.rssMb,
        peakRssMb: s.peakRssMb,
        syscalls: s.syscalls - (s0?.syscalls ?? 0),
        sysCpuS: round(s.sysCpuS - (s0?.sysCpuS ?? 0), 2),
        ctxSwitches: s.ctxSwitches - (s0?.ctxSwitches ?? 0),
      });
    }
    const dTotal = m.total - this.machine0.total;
    return {
      wallS: round(wallS, 2),
      machineBusyPercent: round(dTotal > 0 ? (100 * (m.busy - this.machine0.busy)) / dTotal : 0),
      cores: coreCount(),
      processes: groupByName(processes),
    };
  }
}

function coreCount(): number {
  return (
    readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('processor')).length || 1
  );
}

/**
 * Processes sharing a name (the Postgres backends of the database) are summed into one line;
 * CPU adds up, RSS of backends mostly shares memory, so their RSS is the largest one's.
 */
function groupByName(list: ProcessWindowStats[]): ProcessWindowStats[] {
  const byName = new Map<string, ProcessWindowStats[]>();
  for (const p of list) byName.set(p.name, [...(byName.get(p.name) ?? []), p]);
  return [...byName.entries()].map(([name, ps]) => {
    if (ps.length === 1) return ps[0];
    return {
      name: `${name} (${ps.length} processes)`,
      pid: 0,
      cpuS: round(
        ps.reduce((a, p) => a + p.cpuS, 0),
        2,
      ),
      cpuPercent: round(ps.reduce((a, p) => a + p.cpuPercent, 0)),
      rssMb: Math.max(...ps.map((p) => p.rssMb)),
      peakRssMb: Math.max(...ps.map((p) => p.peakRssMb)),
      syscalls: ps.reduce((a, p) => a + p.syscalls, 0),
      sysCpuS: round(
        ps.reduce((a, p) => a + p.sysCpuS, 0),
        2,
      ),
      ctxSwitches: ps.reduce((a, p) => a + p.ctxSwitches, 0),
    };
  });
}
