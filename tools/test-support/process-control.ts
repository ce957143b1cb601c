import { spawn, type ChildProcess } from 'node:child_process';

export function isRunning(child: ChildProcess | undefined): boolean {
  return !!child && child.exitCode === null && child.signalCode === null;
}

/**
 * Sends `signal` to one child (by its pid, never by name) and waits for it to exit. After
 * `graceMs` a process that ignored a gentle signal is killed with SIGKILL, so a test never hangs.
 */
export async function stopChild(
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 15_000,
): Promise<void> {
  if (!isRunning(child)) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      if (isRunning(child)) child.kill('SIGKILL');
    }, graceMs);
    timer.unref();
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

/**
 * Starts a compiled script with Node and resolves once it prints `ready` on stdout (the benches'
 * helper processes do); rejects if it exits first or stays silent for `timeoutMs`. Its stderr is ours.
 */
export function spawnUntilReady(
  script: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 20_000,
): Promise<ChildProcess> {
  const child = spawn(process.execPath, [script, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} ${args.join(' ')}: not ready after ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} ${args.join(' ')}: exited with ${code} before it was ready`));
    });
    child.stdout!.on('data', (d: Buffer) => {
      if (!d.toString().includes('ready')) return;
      clearTimeout(timer);
      resolve(child);
    });
  });
}
