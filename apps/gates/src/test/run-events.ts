import { NextAction, type RunStatus, type RunUpdatedEvent } from '@gatehouse/contracts';

/** A run's status snapshot as the runs service announces it, for the gates service's tests. */
export function runSnapshot(workflowID: string, status: RunStatus, version: number): RunUpdatedEvent {
  return {
    workflowID,
    status,
    nextAction: NextAction.NONE,
    lastStep: null,
    error: null,
    version,
    at: new Date().toISOString(),
  };
}
