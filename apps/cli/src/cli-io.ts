import { createInterface } from 'node:readline/promises';

/** Where a command writes: results on stdout (scripts parse them), progress on stderr. */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  out(line: string): void;
  log(line: string): void;
  /** Tables and colour only for a person at a terminal. */
  stdoutIsTTY: boolean;
  /** Questions (a destructive command's confirmation) only when someone can answer. */
  stdinIsTTY: boolean;
  /** Asks on the terminal and returns the answer line. */
  ask(question: string): Promise<string>;
  /** The clock, so countdowns can be tested. */
  now(): Date;
}

export const processIo: CliIo = {
  env: process.env,
  out: (line) => process.stdout.write(`${line}\n`),
  log: (line) => process.stderr.write(`${line}\n`),
  stdoutIsTTY: Boolean(process.stdout.isTTY),
  stdinIsTTY: Boolean(process.stdin.isTTY),
  ask: async (question) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return await rl.question(question);
    } finally {
      rl.close();
    }
  },
  now: () => new Date(),
};
