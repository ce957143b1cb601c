/** Where a command writes: results on stdout (scripts parse them), progress on stderr. */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  out(line: string): void;
  log(line: string): void;
}

export const processIo: CliIo = {
  env: process.env,
  out: (line) => process.stdout.write(`${line}\n`),
  log: (line) => process.stderr.write(`${line}\n`),
};
