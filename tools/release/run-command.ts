import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';

export interface CommandResult {
  exitCode: number;
  durationS: number;
}

/**
 * Runs one shell command from `cwd`, copying its output (stdout and stderr) to every sink as it
 * comes; the exit code is the command's (1 when it was killed by a signal). Never retried.
 */
export function runCommand(
  command: string,
  sinks: Writable[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<CommandResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, { cwd: options.cwd, env: options.env ?? process.env, shell: true });
    const copy = (chunk: Buffer) => {
      for (const s of sinks) s.write(chunk);
    };
    child.stdout.on('data', copy);
    child.stderr.on('data', copy);
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ exitCode: code ?? 1, durationS: Math.round((Date.now() - started) / 100) / 10 }),
    );
  });
}
