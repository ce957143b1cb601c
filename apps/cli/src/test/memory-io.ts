import type { CliIo } from '../cli-io';

/** A CliIo that keeps what a command wrote, answers questions from a list and has a fixed clock. */
export interface MemoryIo extends CliIo {
  stdout: string[];
  stderr: string[];
  questions: string[];
}

export function memoryIo(
  env: NodeJS.ProcessEnv,
  options: { tty?: boolean; answers?: string[]; now?: string } = {},
): MemoryIo {
  const answers = [...(options.answers ?? [])];
  const io: MemoryIo = {
    env,
    stdout: [],
    stderr: [],
    questions: [],
    out: (line) => io.stdout.push(line),
    log: (line) => io.stderr.push(line),
    stdoutIsTTY: Boolean(options.tty),
    stdinIsTTY: Boolean(options.tty),
    ask: async (q) => {
      io.questions.push(q);
      return answers.shift() ?? '';
    },
    now: () => new Date(options.now ?? '2026-12-06T08:00:00.000Z'),
  };
  return io;
}
