import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Exit code a service uses for a bad setting: restarting it would not help. */
export const EXIT_CONFIG = 78;

export interface ServiceSpec {
  name: string;
  entry: string;
  env: NodeJS.ProcessEnv;
}

interface Supervised {
  spec: ServiceSpec;
  child?: ChildProcess;
  restarts: number;
  startedAt: number;
  timer?: NodeJS.Timeout;
}

/**
 * Runs services as child processes with their output prefixed, restarts one that dies (with
 * backoff, as an orchestrator would), and stops them all on request.
 */
export class Supervisor {
  private readonly procs: Supervised[] = [];
  private stopping = false;

  constructor(
    private readonly out: (line: string) => void,
    private readonly onFatal: (name: string, code: number) => void,
    /** Width of the `[name]` prefix, so every service's lines align. */
    private readonly nameWidth = 12,
    /** How a service's log line is printed (see log-format.ts); unchanged by default. */
    private readonly formatLine: (line: string) => string = (line) => line,
  ) {}

  start(spec: ServiceSpec): void {
    const p: Supervised = { spec, restarts: 0, startedAt: Date.now() };
    this.procs.push(p);
    this.launch(p);
  }

  private launch(p: Supervised): void {
    const prefix = `[${p.spec.name.padEnd(this.nameWidth)}]`;
    p.startedAt = Date.now();
    const child = spawn(process.execPath, [p.spec.entry], { env: p.spec.env, stdio: ['ignore', 'pipe', 'pipe'] });
    p.child = child;
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => this.out(`${prefix} ${this.formatLine(line)}`));
    }
    child.on('exit', (code, signal) => {
      if (this.stopping) return;
      if (code === EXIT_CONFIG) {
        this.onFatal(p.spec.name, code);
        return;
      }
      // A process that stayed up a minute starts its backoff afresh.
      if (Date.now() - p.startedAt > 60_000) p.restarts = 0;
      const delay = Math.min(30_000, 500 * 2 ** p.restarts++);
      this.out(`${prefix} exited (${signal ?? code}); restarting in ${delay} ms`);
      p.timer = setTimeout(() => this.launch(p), delay);
    });
  }

  /** SIGTERM to every service, SIGKILL to those still up after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    const alive = this.procs.filter((p) => {
      if (p.timer) clearTimeout(p.timer);
      return p.child && p.child.exitCode === null && p.child.signalCode === null;
    });
    await Promise.all(
      alive.map(
        (p) =>
          new Promise<void>((resolve) => {
            const child = p.child as ChildProcess;
            const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
            child.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
  }
}
