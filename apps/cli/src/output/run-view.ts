import type { RunView } from '@gatehouse/contracts';
import { fieldLines } from './fields';
import { tone, type Style } from './style';

/** Run-control fields (DESIGN section 12) a gateway with pause/resume shows on the run. */
interface RunControlFields {
  paused?: boolean;
  pausedBy?: string | null;
  pausedReason?: string | null;
  pausedAt?: string | null;
}

export function runLines(run: RunView, style: Style): string[] {
  const control = run as RunView & RunControlFields;
  const error = run.error
    ? [
        run.error.code,
        run.error.gateKey ? `gate ${run.error.gateKey}` : '',
        run.error.rationale ? `"${run.error.rationale}"` : run.error.message,
      ]
        .filter(Boolean)
        .join(' ')
    : undefined;
  return fieldLines([
    ['run', style.bold(run.workflowID)],
    [
      'status',
      `${tone(style, run.status)}${run.nextAction && run.nextAction !== 'NONE' ? ` (next: ${run.nextAction})` : ''}`,
    ],
    [
      'paused',
      control.paused
        ? style.yellow(
            `by ${control.pausedBy ?? 'unknown'}${control.pausedAt ? ` at ${control.pausedAt}` : ''}` +
              `${control.pausedReason ? `: ${control.pausedReason}` : ''}`,
          )
        : undefined,
    ],
    ['last step', run.lastStep ?? '-'],
    ['error', error && style.red(error)],
    ['recipe', run.recipeName],
    ['queue', `${run.queueName} / ${run.queuePartitionKey}`],
    ['tasks', run.tasks ? `${run.tasks.done}/${run.tasks.total} done, ${run.tasks.dispatched} dispatched` : undefined],
    ['requested by', run.requestedBy ?? undefined],
    ['created', run.createdAt],
    ['updated', run.updatedAt],
  ]);
}
