import type { CliIo } from '../cli-io';
import { CliError, usageError } from '../cli-error';

/**
 * Destructive commands ask first; `--yes` skips the question. Without a terminal to answer on, the
 * command refuses rather than guess (as `gh repo delete` does).
 */
export async function confirmOrStop(
  io: CliIo,
  question: string,
  yes: boolean | undefined,
  flagHint = '--yes',
): Promise<void> {
  if (yes) return;
  if (!io.stdinIsTTY) throw usageError(`not confirmed: run with ${flagHint} when not on a terminal`);
  const answer = (await io.ask(`${question} [y/N] `)).trim();
  if (!/^y(es)?$/i.test(answer)) throw new CliError('not confirmed: nothing was done');
}
