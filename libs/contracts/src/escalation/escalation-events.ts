import type { TimeoutAction } from '../abi/gate-abi';

/** escalation -> gates: a gate's deadline passed while its timer was armed. */
export interface DeadlinePassedEvent {
  workflowId: string;
  gateKey: string;
  deadlineAt: string;
  action: TimeoutAction;
  escalationId: string;
}

export const escalationId = (wid: string, g: string) => `esc:${wid}:${g}`;
