import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  totalMs: number;
  idlePercent: number;
  /** Self time by where the code lives: a package under node_modules, node's internals, or our code. */
  byModule: { name: string; ms: number; percent: number }[];
  /** Self time by function. */
  byFunction: { name: string; ms: number; percent: number }[];
}

function moduleOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1];
  if (url.startsWith('node:')) return url.split('/')[0];
  const ours = /\/dist\/((?:apps|libs)\/[^/]+)/.exec(url);
  return ours ? ours[1] : url;
}

/** Self time per module and per function of a V8 .cpuprofile (what DevTools' bottom-up view shows). */
export function summarizeProfile(profile: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0) || 1;
  const mods = new Map<string, number>();
  const fns = new Map<string, number>();
  let idle = 0;
  for (const [id, us] of self) {
    const f = byId.get(id)!.callFrame;
    if (f.functionName === '(idle)') idle += us;
    const m = moduleOf(f.url, f.functionName);
    mods.set(m, (mods.get(m) ?? 0) + us);
    const fname = `${f.functionName || '(anonymous)'} ${f.url ? `${f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, '')}:${f.lineNumber + 1}` : ''}`;
    fns.set(fname, (fns.get(fname) ?? 0) + us);
  }
  const rank = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: Math.round(us / 1000), percent: Math.round((1000 * us) / total) / 10 }));
  return {
    totalMs: Math.round(total / 1000),
    idlePercent: Math.round((1000 * idle) / total) / 10,
    byModule: rank(mods),
    byFunction: rank(fns),
  };
}

if (require.main === module) {
  // Piped into `head`: stop quietly when the reader goes away.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => process.exit(err.code === 'EPIPE' ? 0 : 1));
  for (const file of process.argv.slice(2)) {
    const s = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
    process.stdout.write(`== ${file}: ${s.totalMs} ms sampled, ${s.idlePercent}% idle\nself time by module:\n`);
    for (const m of s.byModule)
      process.stdout.write(`  ${String(m.percent).padStart(5)}%  ${String(m.ms).padStart(6)} ms  ${m.name}\n`);
    process.stdout.write('self time by function:\n');
    for (const f of s.byFunction)
      process.stdout.write(`  ${String(f.percent).padStart(5)}%  ${String(f.ms).padStart(6)} ms  ${f.name}\n`);
  }
}
