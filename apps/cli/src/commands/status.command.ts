import { isTerminalRunStatus, RunStatus, type RunView } from '@gatehouse/contracts';
import { CliError } from '../cli-error';
import type { CliIo } from '../cli-io';
import { ExitCode } from '../exit-codes';
import { seg } from '../api/gatehouse-api';
import { runLines } from '../output/run-view';
import { apiCommand, apiContext, type ApiOptions } from './command-kit';

/** `gatehouse status <wid>`: the run now; `--exit-status` turns its outcome into the exit code. */
export function statusCommand(io: CliIo) {
  return apiCommand('status', "show a run's status, last step, tasks and error")
    .argument('<wid>', 'the run (workflow) id')
    .option('--exit-status', 'exit 0 if the run succeeded, 1 if it ended otherwise, 8 if it has not finished')
    .action(async (wid: string, opts: ApiOptions & { exitStatus?: boolean }) => {
      const ctx = apiContext(io, opts);
      const run = await ctx.api.get<RunView>(`/api/runs/${seg(wid)}`);
      ctx.emit(run, () => runLines(run, ctx.style));
      if (opts.exitStatus) throwForOutcome(run);
    });
}

/** With --exit-status: success is 0, another end is 1, still going is 8. */
export function throwForOutcome(run: RunView): void {
  if (!isTerminalRunStatus(run.status)) {
    throw new CliError(`run ${run.workflowID} has not finished (${run.status})`, ExitCode.PENDING);
  }
  if (run.status !== RunStatus.SUCCESS) {
    const why = run.error ? `: ${run.error.code}${run.error.message ? ` ${run.error.message}` : ''}` : '';
    throw new CliError(`run ${run.workflowID} ended ${run.status}${why}`, ExitCode.FAILURE);
  }
}
