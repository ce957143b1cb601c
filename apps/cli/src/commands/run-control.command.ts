import { usageError } from '../cli-error';
import type { CliIo } from '../cli-io';
import { seg } from '../api/gatehouse-api';
import type { RunControlResult } from '@gatehouse/contracts';
import { apiCommand, apiContext, type ApiOptions } from './command-kit';
import { confirmOrStop } from './confirm';

interface ControlOptions extends ApiOptions {
  reason: string;
  yes?: boolean;
}

type Action = 'pause' | 'resume' | 'cancel';

const DESCRIPTIONS: Record<Action, string> = {
  pause: 'pause a run: the step in flight finishes, then it holds (replies are still recorded)',
  resume: 'resume a paused run; replies recorded while paused take effect in order',
  cancel: 'cancel a run: it ends CANCELLED, its pending gates are cancelled and their timers disarmed',
};

const DONE: Record<Action, string> = { pause: 'paused', resume: 'resumed', cancel: 'cancelled' };

/** `gatehouse pause|resume|cancel <wid> --reason <text>` (DESIGN section 12); each is idempotent. */
export function runControlCommand(io: CliIo, action: Action) {
  const command = apiCommand(action, DESCRIPTIONS[action])
    .argument('<wid>', 'the run (workflow) id')
    .requiredOption('--reason <text>', 'why (recorded with your name)');
  if (action === 'cancel') command.option('-y, --yes', 'do not ask for confirmation');
  return command.action(async (wid: string, opts: ControlOptions) => {
    const ctx = apiContext(io, opts);
    if (!opts.reason.trim()) throw usageError('--reason must not be blank');
    if (action === 'cancel') {
      await confirmOrStop(io, `Cancel run ${wid}? It ends CANCELLED and cannot be resumed.`, opts.yes);
    }
    const result = await ctx.api.post<RunControlResult>(`/api/runs/${seg(wid)}/${action}`, { reason: opts.reason });
    ctx.emit(result, () => [
      `run ${wid} ${result.changed ? '' : 'was already '}${DONE[action]} ` +
        `(status ${result.status}${result.paused ? ', paused' : ''})`,
    ]);
  });
}
