import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../tools/test-support/database';
import { freePort, freePortRange } from '../tools/test-support/free-port';
import { startNatsServer, type NatsServerHandle } from '../tools/test-support/nats-server';
import { ROOT } from '../tools/test-support/paths';
import { eventually } from './support/http';

/**
 * `npm start` (DESIGN section 9): prepares the database and streams, runs the four services as
 * separate processes with prefixed logs, restarts one that dies, and stops them all on SIGTERM.
 */
describe('npm start launcher (e2e)', () => {
  let nats: NatsServerHandle;
  let db: TestDatabase;

  beforeAll(async () => {
    [nats, db] = await Promise.all([startNatsServer('launcher'), createTestDatabase('launcher')]);
  }, 60_000);

  afterAll(async () => {
    await nats?.stop();
    await db?.drop();
  });

  /** Launchers a test started: a failed assertion must not leave a stack running behind it. */
  const launched: ChildProcess[] = [];
  afterEach(async () => {
    for (const child of launched.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited(child);
      }
    }
  });

  function launch(env: Record<string, string>, args: string[] = []): { child: ChildProcess; output: () => string } {
    let out = '';
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'tools', 'start', 'start.js'), ...args], {
      env: { PATH: process.env.PATH, DATABASE_URL: db.url, NATS_URL: nats.url, LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    launched.push(child);
    return { child, output: () => out };
  }

  const exited = (child: ChildProcess) =>
    new Promise<number | null>((resolve) => {
      if (child.exitCode !== null) resolve(child.exitCode);
      else child.once('exit', (code) => resolve(code));
    });

  const childPids = (pid: number) =>
    execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number);

  const serviceOf = (pid: number) => /apps\/(\w+)\//.exec(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))?.[1];

  /** The nice value of every thread of a process (field 19 of /proc/<pid>/task/<tid>/stat). */
  const threadNices = (pid: number) =>
    readdirSync(`/proc/${pid}/task`).map((tid) => {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    });

  /**
   * RUNS_NICE: the runs processes, and only they, run every thread at that nice value; the others keep
   * the one they inherited (this test's own, when the suite itself runs under `nice`).
   */
  const expectRunsNice = (launcherPid: number, nice: number) => {
    const inherited = getPriority();
    const byService = new Map(childPids(launcherPid).map((pid) => [serviceOf(pid), pid]));
    expect([...byService.keys()].sort()).toEqual(['escalation', 'gates', 'gateway', 'runs']);
    for (const [service, pid] of byService) {
      const nices = threadNices(pid!);
      expect(nices.length).toBeGreaterThan(1);
      expect(new Set(nices)).toEqual(new Set([service === 'runs' ? Math.max(nice, inherited) : inherited]));
    }
  };

  const healthy = (port: number, timeoutMs: number, what: string) =>
    eventually(
      async () => ((await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200 ? true : undefined),
      timeoutMs,
      what,
    );

  it('starts the stack, restarts a killed service, and stops everything on SIGTERM', async () => {
    const port = await freePort();
    const metricsBase = await freePortRange(3);
    const { child, output } = launch({ PORT: String(port), RUNS_NICE: '7', METRICS_PORT: String(metricsBase) });
    await healthy(port, 60_000, 'healthy stack');
    expect(output()).toMatch(/\[gates-0\s*\] .*gates ready/);
    // Each backend process serves /metrics on its own port, counted up from METRICS_PORT.
    expect(output()).toContain(`runs-0 :${metricsBase}, gates-0 :${metricsBase + 1}, escalation-0 :${metricsBase + 2}`);
    for (const [i, service] of ['runs', 'gates', 'escalation'].entries()) {
      const text = await eventually(
        async () => {
          const res = await fetch(`http://127.0.0.1:${metricsBase + i}/metrics`);
          return res.status === 200 ? res.text() : undefined;
        },
        10_000,
        `${service} metrics`,
      );
      expect(text).toContain(`process_cpu_user_seconds_total{service="${service}"}`);
    }
    const pids = childPids(child.pid!);
    expect(pids).toHaveLength(4);
    expectRunsNice(child.pid!, 7);

    process.kill(
      pids.find((pid) => serviceOf(pid) === 'runs')!,
      'SIGKILL',
    );
    await eventually(async () => (/restarting in \d+ ms/.test(output()) ? true : undefined), 10_000, 'restart notice');
    await eventually(
      async () => (childPids(child.pid!).length === 4 ? true : undefined),
      15_000,
      'four services again',
    );
    await healthy(port, 30_000, 'healthy after restart');
    expectRunsNice(child.pid!, 7); // the restarted runs process lowers its own priority again

    const running = childPids(child.pid!);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    for (const pid of running) expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
  }, 120_000);

  it('refuses a bad setting with exit code 78 and names the variable', async () => {
    const { child, output } = launch({ PORT: String(await freePort()), HITL_GATE_TIMEOUT_S: 'soon' });
    expect(await exited(child)).toBe(78);
    expect(output()).toContain('HITL_GATE_TIMEOUT_S');
  }, 60_000);

  it('rejects an unknown argument', async () => {
    const { child, output } = launch({}, ['--replicas', 'many']);
    expect(await exited(child)).toBe(2);
    expect(output()).toContain('--replicas');
  }, 30_000);
});
