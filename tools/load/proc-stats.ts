import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

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
  private readonly startCpu = new Map<number, number>();
  private readonly startSyscalls = new Map<number, number>();
  private startedAt = 0;
  private machine0 = readMachineCpu();

  start(watched: WatchedProcess[]): void {
    this.startedAt = Date.now();
    this.machine0 = readMachineCpu();
    for (const p of watched) {
      const s = readProc(p.pid);
      if (s) this.startCpu.set(p.pid, s.cpuS);
      if (s) this.startSyscalls.set(p.pid, s.syscalls);
    }
  }

  stop(watched: WatchedProcess[]): CpuWindowReport {
    const wallS = (Date.now() - this.startedAt) / 1000;
    const m = readMachineCpu();
    const processes: ProcessWindowStats[] = [];
    for (const p of watched) {
      const s = readProc(p.pid);
      if (!s) continue;
      const cpuS = s.cpuS - (this.startCpu.get(p.pid) ?? 0);
      processes.push({
        name: p.name,
        pid: p.pid,
        cpuS: round(cpuS, 2),
        cpuPercent: round(wallS > 0 ? (100 * cpuS) / wallS : 0),
        rssMb: s.rssMb,
        peakRssMb: s.peakRssMb,
        syscalls: s.syscalls - (this.startSyscalls.get(p.pid) ?? 0),
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
    };
  });
}
