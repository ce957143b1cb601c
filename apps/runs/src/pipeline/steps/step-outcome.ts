import type { StepId } from '@gatehouse/contracts';
import type { OutboxMessage } from '@gatehouse/messaging';
import type { RunRow } from '../../runs/run-row';
import type { RunChanges } from '../../runs/runs.repository';
import type { NewRunStep } from '../run-steps.repository';

/**
 * What one step does to its run. A step only decides; StepRunner writes the outcomes of the steps
 * it runs in one delivery together (their rows, one run update, one snapshot event).
 */
export interface StepOutcome {
  /** The step's run_steps row for this attempt. */
  row: NewRunStep;
  changes: RunChanges;
  /** Whether the status snapshot (status, nextAction, lastStep, error) changes. */
  snapshot: boolean;
  /** Messages to write with the change, built from the updated run. */
  followUps?: (next: RunRow) => OutboxMessage[];
  /** The step that follows in the same transaction; null when the run now waits or has ended. */
  next: StepId | null;
}
